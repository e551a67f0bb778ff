// A compressed fromImage archive is decompressed once per process (into a temporary
// uncompressed copy the layers are read from), not once per base layer; the copy streams the
// same bytes as the uncompressed base and is removed after success, failure and exit.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { execa } from 'execa';
import { fileDecompressions } from '../../src/image/decompress.ts';
import { assembleImage } from '../../src/image/assemble.ts';
import { writeDockerArchive } from '../../src/sinks/docker-archive.ts';
import { bytesLayer } from '../../src/sources/bytes-layer.ts';
import { readDockerArchive } from '../../src/sources/docker-archive.ts';
import { collect, recordingLogger, tarOf, vectorE } from '../sinks/vectors.ts';
import { member } from '../support/base-archive.ts';
import { makeFixture, noise, runCli, writeConf } from '../faults/fixture.ts';

const dir = await mkdtemp(join(tmpdir(), 'strata-compressed-base-'));
after(() => rm(dir, { recursive: true, force: true }));

const sha = (bytes: Buffer) => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
const zstd = async (bytes: Buffer) => Buffer.from((await execa('zstd', ['-c', '-q'], { input: bytes, encoding: 'buffer' })).stdout);
const LAYER_COUNT = 5;

/**
 * A base of five layers: plain members, a gzip'd member blob, and one listed through a
 * symlink member (as docker save writes duplicates). `corrupt` flips a byte of layer 3.
 */
function baseArchive(corrupt = false): Buffer {
  const contents = Array.from({ length: LAYER_COUNT }, (_, index) => noise(200_000 + index * 4096, index + 11));
  const blobs = contents.map((content, index) => (index === 1 ? gzipSync(content) : Buffer.from(content)));
  if (corrupt) blobs[3]!.writeUInt8(blobs[3]!.readUInt8(1000) ^ 1, 1000);
  const names = contents.map((_, index) => (index === 1 ? `l${index}/layer.tar.gz` : `l${index}/layer.tar`));
  const members: Array<ReturnType<typeof member>> = [];
  blobs.forEach((blob, index) => {
    if (index === 2) {
      members.push(member('blobs/two', blob));
      members.push(member(names[index]!, Buffer.alloc(0), { type: 'symlink', linkname: '../blobs/two', size: 0 }));
    } else {
      members.push(member(names[index]!, blob));
    }
  });
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', config: { Env: ['A=1'] }, rootfs: { type: 'layers', diff_ids: contents.map(sha) } }));
  const manifest = Buffer.from(JSON.stringify([{ Config: 'cfg.json', RepoTags: ['base:1'], Layers: names }]));
  return tarOf([...members, member('cfg.json', config), member('manifest.json', manifest)]);
}

async function file(name: string, bytes: Buffer): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, bytes);
  return path;
}

/** Copies the base into a child archive as `nix-strata stream` does, disposing of the base after. */
async function copyOf(path: string, tmpDir: string): Promise<Buffer> {
  const base = await readDockerArchive(path, { tmpDir });
  try {
    const image = assembleImage({
      baseImage: base, storeLayers: [], customisationLayer: bytesLayer(vectorE(), { origin: ['/c'], kind: 'customisation' }),
      architecture: 'amd64', config: {}, created: '1970-01-01T00:00:01+00:00',
    });
    return await collect((output) => writeDockerArchive(image, output, { repoTags: ['child:1'], mtime: 1, log: recordingLogger() }));
  } finally {
    await base.dispose();
  }
}

const plainBytes = baseArchive();
const plainCopy = copyOf(await file('base.tar', plainBytes), await mkdtemp(join(dir, 'tmp-')));

for (const [label, compress] of [['gzip', async (bytes: Buffer) => gzipSync(bytes)], ['zstd', zstd]] as const) {
  test(`a ${label} base streams byte-identically to the uncompressed base, decompressing the archive once for all layers`, async () => {
    const path = await file(`base.tar.${label}`, await compress(plainBytes));
    const tmp = await mkdtemp(join(dir, 'tmp-'));
    const before = fileDecompressions.count;
    const base = await readDockerArchive(path, { tmpDir: tmp });
    assert.equal(base.layers.length, LAYER_COUNT);
    assert.equal(fileDecompressions.count - before, 1, 'reading (what conf needs) decompresses once, to index');
    assert.deepEqual(await readdir(tmp), [], 'reading alone makes no copy');

    const image = assembleImage({
      baseImage: base, storeLayers: [], customisationLayer: bytesLayer(vectorE(), { origin: ['/c'], kind: 'customisation' }),
      architecture: 'amd64', config: {}, created: '1970-01-01T00:00:01+00:00',
    });
    const first = await collect((output) => writeDockerArchive(image, output, { repoTags: ['child:1'], mtime: 1, log: recordingLogger() }));
    assert.equal((await readdir(tmp)).length, 1, 'the uncompressed copy exists while the base is in use');
    // A second stream of the same base (e.g. digest passes, other children) reuses the copy.
    const second = await collect((output) => writeDockerArchive(image, output, { repoTags: ['child:1'], mtime: 1, log: recordingLogger() }));
    assert.equal(fileDecompressions.count - before, 2, `every layer of ${LAYER_COUNT}, twice over, came from one decompression`);
    await base.dispose();
    assert.deepEqual(await readdir(tmp), [], 'dispose removes the copy');

    assert.ok(first.equals(await plainCopy), 'same bytes as from the uncompressed base');
    assert.ok(second.equals(first));
    assert.ok(first.includes(gzipSync(noise(200_000 + 4096, 12))), 'the gzip member blob is copied unchanged');
  });

  test(`a ${label} base with a corrupt layer fails naming it, and its temporary copy is removed`, async () => {
    const path = await file(`bad.tar.${label}`, await compress(baseArchive(true)));
    const tmp = await mkdtemp(join(dir, 'tmp-'));
    await assert.rejects(copyOf(path, tmp), /base layer l3\/layer\.tar: its content hashes to sha256:[0-9a-f]{64} but the base config's rootfs\.diff_ids says/);
    assert.deepEqual(await readdir(tmp), []);
  });
}

test('a process that opens a layer of a compressed base and exits without dispose leaves no copy behind', async () => {
  const path = await file('exit.tar.gz', gzipSync(plainBytes));
  const tmp = await mkdtemp(join(dir, 'tmp-'));
  const script = `
    import { readDockerArchive } from ${JSON.stringify(new URL('../../src/sources/docker-archive.ts', import.meta.url).href)};
    import { readdirSync } from 'node:fs';
    const base = await readDockerArchive(${JSON.stringify(path)}, { tmpDir: ${JSON.stringify(tmp)} });
    for await (const _ of base.layers[0].open()) {}
    console.log(readdirSync(${JSON.stringify(tmp)}).length);
  `;
  const { stdout } = await execa('node', ['--import', 'tsx', '--input-type=module', '-e', script]);
  assert.equal(stdout.trim(), '1', 'the copy existed while the process ran');
  assert.deepEqual(await readdir(tmp), []);
});

test('CLI: conf makes no copy; stream removes its copy of a gzip base after success and after a failure', async () => {
  const basePath = await file('cli-base.tar.gz', gzipSync(plainBytes));
  const tmp = await mkdtemp(join(dir, 'tmp-'));
  const env = { TMPDIR: tmp };
  const leftovers = async () => (await readdir(tmp)).filter((name) => name.startsWith('nix-strata-base-'));
  const f = await makeFixture({ spec: { fromImage: basePath } });
  try {
    await writeConf(f);
    assert.deepEqual(await leftovers(), []);
    const ok = await runCli(['stream', '-q', '--conf', f.confPath, '--output', join(f.work, 'image.tar')], { env });
    assert.equal(ok.exitCode, 0, String(ok.stderr));
    assert.deepEqual(await leftovers(), []);

    await writeFile(basePath, gzipSync(baseArchive(true)));
    const bad = await runCli(['stream', '-q', '--conf', f.confPath, '--output', join(f.work, 'image2.tar')], { env });
    assert.equal(bad.exitCode, 1);
    assert.match(Buffer.from(bad.stderr).toString('utf8'), /base layer l3\/layer\.tar: its content hashes to/);
    assert.deepEqual(await leftovers(), []);
  } finally {
    await rm(f.work, { recursive: true, force: true });
  }
});
