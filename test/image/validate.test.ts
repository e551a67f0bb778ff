// validateImage (./validate.ts) over every source (bytes, store paths, the tarball layer, a
// docker-archive base with plain, gzip and bzip2 members) and over the docker-archive sink's
// output read back with the docker-archive source; the registry source is validated in
// test/registry/pull-image.test.ts and buildImage's output in test/steps/build-image-archive.test.ts.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { execa } from 'execa';
import { assembleImage } from '../../src/image/assemble.ts';
import { manifestDigest } from '../../src/image/manifest.ts';
import type { Image, Layer } from '../../src/image/types.ts';
import { writeDockerArchive } from '../../src/sinks/docker-archive.ts';
import { bytesLayer } from '../../src/sources/bytes-layer.ts';
import { archiveImage, readDockerArchive, type DockerArchiveImage } from '../../src/sources/docker-archive.ts';
import { storePathsLayer } from '../../src/sources/store-paths.ts';
import { collect, recordingLogger, sha, tarOf, vectorC, vectorE, vectorImage, VECTOR_C_PATHS } from '../sinks/vectors.ts';
import { member } from '../support/base-archive.ts';
import { buildVectorTree, ROOT_OWNER, tempDir } from '../tar/fixtures.ts';
import { validateImage } from './validate.ts';

const dir = await mkdtemp(join(tmpdir(), 'strata-validate-'));
after(() => rm(dir, { recursive: true, force: true }));

const HEX_C = sha(vectorC());
const HEX_E = sha(vectorE());

async function file(name: string, bytes: Buffer): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, bytes);
  return path;
}

/** The docker-archive of `image`, written to a file and read back. */
async function roundTrip(image: Image, name: string): Promise<DockerArchiveImage> {
  const archive = await collect((output) => writeDockerArchive(image, output, { repoTags: ['validate:1'], mtime: 1, log: recordingLogger() }));
  return readDockerArchive(await file(name, archive));
}

test('the bytes and tarball sources (format.md §2.4 vector image) are valid, and so is their docker-archive read back, with the same manifests', async () => {
  const image = await vectorImage();
  const measured = await validateImage(image);
  assert.deepEqual(measured.map((layer) => layer.diffId), [`sha256:${HEX_C}`, `sha256:${HEX_E}`]);
  const back = archiveImage(await roundTrip(image, 'vector.tar'));
  await validateImage(back);
  for (const schema of ['oci', 'docker'] as const) {
    assert.equal(await manifestDigest(back, schema), await manifestDigest(image, schema), `${schema}: the sink kept every identity`);
  }
});

test('the store-paths source is valid, its identity learnt while streaming, and its archive read back too', async () => {
  const tree = tempDir();
  try {
    buildVectorTree(tree.path);
    const store = storePathsLayer(VECTOR_C_PATHS, { ...ROOT_OWNER, root: tree.path });
    assert.equal(store.identityFromStream, true);
    const image = await vectorImage({ storeLayer: store });
    const measured = await validateImage(image);
    assert.equal(measured[0]!.digest, `sha256:${HEX_C}`, 'format.md §4.5 vector C');
    await validateImage(archiveImage(await roundTrip(image, 'store.tar')));
  } finally {
    tree.cleanup();
  }
});

test('a docker-archive base with plain, gzip and bzip2 members is valid; an image on it and that image\'s archive too', async () => {
  const bz = Buffer.from((await execa('bzip2', ['-c'], { input: vectorE(), encoding: 'buffer' })).stdout);
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', config: { Env: ['A=1'] }, rootfs: { type: 'layers', diff_ids: [`sha256:${HEX_C}`, `sha256:${HEX_E}`, `sha256:${HEX_E}`] } }));
  const manifest = Buffer.from(JSON.stringify([{ Config: 'cfg.json', RepoTags: ['base:1'], Layers: ['a/layer.tar', 'b/layer.tar.gz', 'c/layer.tar.bz2'] }]));
  const path = await file('base.tar', tarOf([
    member('a/layer.tar', vectorC()), member('b/layer.tar.gz', gzipSync(vectorE())), member('c/layer.tar.bz2', bz),
    member('cfg.json', config), member('manifest.json', manifest),
  ]));
  const base = await readDockerArchive(path);
  assert.deepEqual(base.layers.map((layer) => layer.compression), ['none', 'gzip', 'bzip2']);
  // bzip2 has a media type in neither schema: validate checks that both manifests refuse it.
  await validateImage(archiveImage(base));

  const image = assembleImage({
    baseImage: base,
    storeLayers: [bytesLayer(vectorC(), { origin: VECTOR_C_PATHS, kind: 'store' })],
    customisationLayer: bytesLayer(vectorE(), { origin: ['/nix/store/c'], kind: 'customisation' }),
    architecture: 'amd64', config: {}, created: '1970-01-01T00:00:01+00:00',
  });
  await validateImage(image);
  await validateImage(archiveImage(await roundTrip(image, 'child.tar')));
});

test('a gzip base layer has manifests in both schemas; zstd only in OCI', async () => {
  const zst = Buffer.from((await execa('zstd', ['-c', '-q'], { input: vectorE(), encoding: 'buffer' })).stdout);
  const config = Buffer.from(JSON.stringify({ rootfs: { type: 'layers', diff_ids: [`sha256:${HEX_C}`, `sha256:${HEX_E}`] } }));
  const manifest = Buffer.from(JSON.stringify([{ Config: 'cfg.json', Layers: ['a.tar.gz', 'b.tar.zst'] }]));
  const path = await file('zstd-base.tar', tarOf([member('a.tar.gz', gzipSync(vectorC())), member('b.tar.zst', zst), member('cfg.json', config), member('manifest.json', manifest)]));
  const image = archiveImage(await readDockerArchive(path));
  await validateImage(image);
  assert.match(await manifestDigest(image, 'oci'), /^sha256:[0-9a-f]{64}$/);
  await assert.rejects(manifestDigest(image, 'docker'), /layer 2 .*: a zstd-compressed layer has no Docker schema 2 media type/);
});

test('validate catches a lying layer: each broken identity is reported, all in one failure', async () => {
  const honest = bytesLayer(vectorC(), { origin: ['/x'], kind: 'store' });
  const liar: Layer = { ...honest, size: async () => 512, diffId: async () => `sha256:${HEX_E}` as Awaited<ReturnType<Layer['diffId']>> };
  const image = assembleImage({
    storeLayers: [liar], customisationLayer: bytesLayer(vectorE(), { origin: ['/c'], kind: 'customisation' }),
    architecture: 'amd64', config: {}, created: 'C',
  });
  await assert.rejects(validateImage(image), (error: Error) => {
    assert.match(error.message, /layer 1: size\(\) 512 but the blob has 10240 bytes/);
    assert.match(error.message, /layer 1: diffId\(\) sha256:f003e0\w+ but the uncompressed tar hashes to sha256:a69023\w+/);
    assert.match(error.message, /config: rootfs\.diff_ids\[0\] sha256:f003e0\w+ but layer 1 is sha256:a69023\w+/);
    assert.match(error.message, /oci manifest: layers\[0\] .*"size":512/);
    return true;
  });
});
