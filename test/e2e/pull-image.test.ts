// End to end: pullImage (issue 6) as a fixed-output Nix derivation running `nix-strata pull`
// against Debian's docker-registry on 127.0.0.1, into which the test first pushes a layered
// image with skopeo (a buildImage archive naming no store path: a fixed-output derivation's
// output may not reference any). A wrong sha256 fails with Nix's hash-mismatch error; the right hash
// gives an archive docker loads as the same image (same image ID) that runs. Only
// 127.0.0.1 is contacted.
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { execa } from 'execa';
import { buildExpression, buildFailure, Docker, repoRoot } from './harness.ts';
import { startLocalRegistry, type LocalRegistry } from './local-registry.ts';

const fixtures = join(repoRoot, 'test/build-image/images.nix');
const host = join(repoRoot, 'test/nix/host.nix');
const docker = new Docker();
let dir: string;
let registry: LocalRegistry | undefined;
let address: string;
let digest: string;
let source: string;

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
  registry = await startLocalRegistry(dir);
  address = registry.address;
  source = await buildExpression(`(import ${fixtures} { }).pull-source`);
  const digestFile = join(dir, 'digest');
  await execa('skopeo', ['copy', '--quiet', '--dest-tls-verify=false', '--digestfile', digestFile,
    `docker-archive:${source}`, `docker://${address}/strata/bi-pull:latest`]);
  digest = (await readFile(digestFile, 'utf8')).trim();
});

after(async () => {
  await docker.cleanup();
  await registry?.stop();
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
