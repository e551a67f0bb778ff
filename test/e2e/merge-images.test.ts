// mergeImages as nixpkgs documents and implements it (pkgs/build-support/docker/default.nix):
// several image archives as one that `docker load` loads every image of; each input's
// compression detected (plain tar, gzip, zstd), every image of every input kept, the result
// compressed as the last input is. Built with real Nix in the sandbox, loaded into real Docker.
import assert from 'node:assert/strict';
import { open } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { execa } from 'execa';
import { buildExpression, buildFailure, evalFailure, repoRoot, sandboxed } from './harness.ts';

const parity = `(import ${repoRoot}/test/e2e/parity.nix { })`;
const references = ['nix-strata-e2e/merge-gz:latest', 'nix-strata-e2e/merge-zstd:latest', 'nix-strata-e2e/merge-plain:latest'];

/** The first bytes of a file, as `file --mime-type` looks at them. */
async function magic(path: string): Promise<string> {
  const handle = await open(path, 'r');
  try {
    const head = Buffer.alloc(262);
    await handle.read(head, 0, head.length, 0);
    if (head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
    if (head.readUInt32LE(0) === 0xfd2fb528) return 'zstd';
    if (head.subarray(257, 262).toString('latin1') === 'ustar') return 'tar';
    return 'unknown';
  } finally {
    await handle.close();
  }
}

/** `docker load` of an archive (through `zstd -dc` when zstd); returns every reference it loaded. */
async function loadAll(path: string, kind: string): Promise<string[]> {
  const script = kind === 'zstd' ? 'zstd -dc "$1" | docker load' : 'docker load --input "$1"';
  const { stdout } = await execa('bash', ['-o', 'pipefail', '-c', script, 'load', path], { stdin: 'ignore' });
  return [...String(stdout).matchAll(/^Loaded image: (.+)$/gm)].map((m) => m[1]!.trim()).sort();
}

/** The member names of an archive. */
async function members(path: string, kind: string): Promise<string[]> {
  const script = kind === 'zstd' ? 'zstd -dc "$1" | tar -t' : 'tar -tf "$1"';
  const { stdout } = await execa('bash', ['-o', 'pipefail', '-c', script, 'list', path], { stdin: 'ignore' });
  return String(stdout).split('\n').filter((line) => line !== '');
}

async function removeImages(): Promise<void> {
  await execa('docker', ['rmi', '--force', ...references], { stdin: 'ignore', reject: false });
}

describe('mergeImages', () => {
  let pair: string;
  let all: string;
  before(async () => {
    await removeImages();
    [pair, all] = (await buildExpression(`with ${parity}; [ merged-pair merged-all ]`, sandboxed)).split('\n') as [string, string];
  });
  after(removeImages);

  it('is named as nixpkgs names it and compressed as its last input (plain tar after gzip, zstd last)', async () => {
    assert.match(pair, /-merge-docker-images$/);
    assert.equal(await magic(pair), 'tar');
    assert.equal(await magic(all), 'zstd');
  });

  it('loads every image of every input, also of an input that is itself a merge, and they run', async () => {
    assert.deepEqual(await loadAll(all, 'zstd'), [...references].sort());
    const run = async (reference: string) => String((await execa('docker', ['run', '--rm', '--network', 'none', reference], { stdin: 'ignore' })).stdout);
    assert.equal(await run('nix-strata-e2e/merge-gz:latest'), 'Hello, world!');
    assert.equal(await run('nix-strata-e2e/merge-zstd:latest'), 'greetings from app-a');
    assert.equal(await run('nix-strata-e2e/merge-plain:latest'), 'greetings from app-b');
  });

  it('stores each layer and config once, named by content, with one manifest entry per image', async () => {
    const names = await members(all, 'zstd');
    assert.equal(new Set(names).size, names.length, `duplicate members: ${names.join(' ')}`);
    for (const name of names) assert.match(name, /^([0-9a-f]{64}\/layer\.tar|[0-9a-f]{64}\.json|manifest\.json)$/);
    const { stdout } = await execa('bash', ['-o', 'pipefail', '-c', 'zstd -dc "$1" | tar -xO manifest.json', 'manifest', all], { stdin: 'ignore' });
    const manifest = JSON.parse(String(stdout)) as Array<{ RepoTags: string[]; Layers: string[] }>;
    assert.deepEqual(manifest.map((entry) => entry.RepoTags), [['nix-strata-e2e/merge-gz:latest'], ['nix-strata-e2e/merge-plain:latest'], ['nix-strata-e2e/merge-zstd:latest']]);
    // merge-gz and merge-zstd share the busybox store layer: one member, named in both entries.
    const layerMembers = names.filter((name) => name.endsWith('/layer.tar'));
    const listed = new Set(manifest.flatMap((entry) => entry.Layers));
    assert.equal(listed.size, layerMembers.length);
    assert.ok(manifest.flatMap((entry) => entry.Layers).length > listed.size, 'some layer is shared and stored once');
  });

  it('refuses an input it cannot read as nixpkgs\' can (bzip2), naming it', async () => {
    const failure = await buildFailure(`with ${parity}; nixStrata.mergeImages [ merge-gz (derivation {
      name = "image.tar.bz2"; system = builtins.currentSystem; builder = "${'$'}{host.pkgs.bash}/bin/bash";
      args = [ "-c" "${'$'}{host.pkgs.bzip2}/bin/bzip2 -c < ${'$'}{merge-plain} > $out" ]; }) ]`, sandboxed);
    assert.match(failure.stderr, /image\.tar\.bz2: is a bzip2-compressed archive, but mergeImages reads plain, gzip or zstd docker-archives/);
  });

  it('rejects at evaluation a stream program and an empty list', async () => {
    const stream = await evalFailure(`with ${parity}; nixStrata.mergeImages [ merge-gz overridden-stream ]`);
    assert.match(stream.stderr, /mergeImages: image 2 \(stream-override-stream\) is a stream program \(a streamLayeredImage result\), not an archive; give buildLayeredImage's result instead/);
    const empty = await evalFailure(`${parity}.nixStrata.mergeImages [ ]`);
    assert.match(empty.stderr, /mergeImages: expects a list of image archives \(buildImage or buildLayeredImage results\), got an empty list/);
  });
});
