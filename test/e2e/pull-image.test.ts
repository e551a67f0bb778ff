// End to end: pullImage (issue 6) as a fixed-output Nix derivation running `nix-strata pull`
// against Debian's docker-registry on 127.0.0.1, into which the test first pushes a layered
// image with skopeo (a buildImage archive naming no store path: a fixed-output derivation's
// output may not reference any). A wrong sha256 fails with Nix's hash-mismatch error; the right hash
// gives an archive docker loads as the same image (same image ID) that runs. Only
// 127.0.0.1 is contacted.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { execa } from 'execa';
import { buildExpression, buildFailure, Docker, repoRoot } from './harness.ts';

const fixtures = join(repoRoot, 'test/build-image/images.nix');
const host = join(repoRoot, 'test/nix/host.nix');
const docker = new Docker();
let dir: string;
let registry: ChildProcess | undefined;
let registryLog = '';
let address: string;
let digest: string;
let source: string;

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function waitForRegistry(child: ChildProcess): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`docker-registry exited (${child.exitCode}): ${registryLog}`);
    if (await fetch(`http://${address}/v2/`).then((r) => r.ok, () => false)) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`docker-registry did not start: ${registryLog}`);
}

/** A pullImage call of the pushed image with the given hash attribute (`sha256 = "…"` or `hash = "…"`). */
function pullExpression(hashAttribute: string): string {
  return `(import ${host} { }).pullImage {
    imageName = "${address}/strata/bi-pull";
    imageDigest = "${digest}";
    ${hashAttribute};
    finalImageName = "nix-strata-e2e/bi-pulled";
    finalImageTag = "v1";
    tlsVerify = false;
  }`;
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'nix-strata-e2e-pull-image-'));
  address = `127.0.0.1:${await freePort()}`;
  await writeFile(join(dir, 'config.yml'), [
    'version: 0.1', 'log:', '  level: warn', 'storage:', '  filesystem:', `    rootdirectory: ${join(dir, 'storage')}`,
    'http:', `  addr: ${address}`, '',
  ].join('\n'));
  const child = spawn('docker-registry', ['serve', join(dir, 'config.yml')], { stdio: ['ignore', 'pipe', 'pipe'] });
  registry = child;
  child.stdout?.on('data', (chunk: Buffer) => { registryLog += chunk.toString(); });
  child.stderr?.on('data', (chunk: Buffer) => { registryLog += chunk.toString(); });
  await waitForRegistry(child);
  source = await buildExpression(`(import ${fixtures} { }).pull-source`);
  const digestFile = join(dir, 'digest');
  await execa('skopeo', ['copy', '--quiet', '--dest-tls-verify=false', '--digestfile', digestFile,
    `docker-archive:${source}`, `docker://${address}/strata/bi-pull:latest`]);
  digest = (await readFile(digestFile, 'utf8')).trim();
});

after(async () => {
  await docker.cleanup();
  if (registry && registry.exitCode === null) {
    const child = registry;
    child.kill('SIGTERM');
    await new Promise((resolve) => child.once('exit', resolve));
  }
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('pullImage from a local registry', { timeout: 300_000 }, () => {
  let got: string;

  it('fails with Nix\'s hash-mismatch error on a wrong sha256', async () => {
    const failure = await buildFailure(pullExpression('sha256 = "0000000000000000000000000000000000000000000000000000"'));
    assert.match(failure.stderr, /hash mismatch in fixed-output derivation/);
    const match = /got:\s+(\S+)/.exec(failure.stderr);
    assert.ok(match, failure.stderr);
    got = match[1]!;
  });

  it('with the right hash gives an archive docker loads as the pushed image, and it runs', async () => {
    assert.ok(got, 'the previous test reported the archive\'s hash');
    const archive = await buildExpression(pullExpression(`hash = "${got}"`));
    assert.match(basename(archive), /-docker-image-nix-strata-e2e-bi-pulled-v1\.tar$/);
    const pulled = await docker.load(archive);
    assert.equal(pulled, 'nix-strata-e2e/bi-pulled:v1');
    const original = await docker.load(source);
    assert.equal(await docker.inspect(pulled, '{{.Id}}'), await docker.inspect(original, '{{.Id}}'));
    assert.equal((await docker.run(pulled)).trim(), 'pulled');
  });

  it('the pulled archive is a valid fromImage for buildImage', async () => {
    const archive = await buildExpression(`(import ${host} { }).buildImage {
      name = "nix-strata-e2e/bi-on-pulled";
      tag = "latest";
      fromImage = ${pullExpression(`hash = "${got}"`)};
      config.Cmd = [ "/bin/echo" "on top" ];
    }`);
    const image = await docker.load(archive);
    assert.equal((await docker.run(image)).trim(), 'on top');
  });
});
