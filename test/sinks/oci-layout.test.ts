// `stream --format oci` and `--format oci-archive` (src/sinks/oci-layout.ts, oci-archive.ts),
// checked with the real tools: skopeo inspect, umoci unpack, podman load. Needs `npm run build`.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { execa } from 'execa';
import { createReadStream } from 'node:fs';
import type { Digest } from '../../src/digest/digest.ts';
import { manifestOf } from '../../src/image/manifest.ts';
import { layerCompression } from '../../src/image/media-types.ts';
import type { Image } from '../../src/image/types.ts';
import { validateImage } from '../image/validate.ts';
import { assertCleanFailure, assertNothingLeft, cli, makeFixture, runCli, writeConf, type Fixture } from '../faults/fixture.ts';

let fixture: Fixture;
before(async () => {
  // Above the gzip block size, so a layer is several independently deflated blocks.
  fixture = await makeFixture({ dataSize: 3 << 20 });
  await writeConf(fixture);
});
after(async () => {
  if (fixture) await rm(fixture.work, { recursive: true, force: true });
});

const MEDIA = { gz: 'application/vnd.oci.image.layer.v1.tar+gzip', zstd: 'application/vnd.oci.image.layer.v1.tar+zstd', none: 'application/vnd.oci.image.layer.v1.tar' };

async function layout(name: string, extra: readonly string[] = [], env: Record<string, string> = {}): Promise<string> {
  const dir = join(fixture.work, name);
  const result = await runCli(['stream', '-q', '--conf', fixture.confPath, '--format', 'oci', '--output', dir, ...extra], { env });
  assert.equal(result.exitCode, 0, String(result.stderr));
  return dir;
}

async function json(path: string): Promise<any> {
  return JSON.parse(await readFile(path, 'utf8'));
}

/** The image an OCI layout holds, read back from its blobs (for validateImage). */
async function layoutImage(dir: string): Promise<{ image: Image; digest: string }> {
  const blob = (digest: string) => join(dir, 'blobs/sha256', digest.slice('sha256:'.length));
  const { manifests: [entry] } = await json(join(dir, 'index.json'));
  const manifest = await json(blob(entry.digest));
  const rawConfig = await readFile(blob(manifest.config.digest));
  const diffIds = JSON.parse(rawConfig.toString()).rootfs.diff_ids as Digest[];
  const layers = manifest.layers.map((d: { mediaType: string; digest: Digest; size: number; annotations?: Record<string, string> }, i: number) => ({
    compression: layerCompression(d.mediaType, `layers[${i}]`),
    origin: [d.digest],
    ...(d.annotations?.['org.nix-strata.layer.key'] === undefined ? {} : { contentKey: d.annotations['org.nix-strata.layer.key'] }),
    diffId: async () => diffIds[i]!,
    digest: async () => d.digest,
    size: async () => d.size,
    open: () => createReadStream(blob(d.digest)),
  }));
  return { image: { layers, rawConfig: async () => rawConfig }, digest: entry.digest };
}

test('an OCI layout: index names the tag, every blob is named by its sha256, skopeo and umoci read it', async () => {
  const dir = await layout('layout');
  assert.deepEqual(await json(join(dir, 'oci-layout')), { imageLayoutVersion: '1.0.0' });
  const index = await json(join(dir, 'index.json'));
  assert.equal(index.manifests.length, 1);
  const [entry] = index.manifests;
  assert.equal(entry.annotations['org.opencontainers.image.ref.name'], 'test');
  assert.equal(entry.mediaType, 'application/vnd.oci.image.manifest.v1+json');
  assert.equal(await readFile(join(dir, 'digest'), 'utf8'), `${entry.digest}\n`);
  for (const name of await readdir(join(dir, 'blobs/sha256'))) {
    const bytes = await readFile(join(dir, 'blobs/sha256', name));
    assert.equal(createHash('sha256').update(bytes).digest('hex'), name);
  }
  const manifest = await json(join(dir, 'blobs/sha256', entry.digest.slice(7)));
  assert.equal(manifest.layers.length, 3);
  for (const layer of manifest.layers) assert.equal(layer.mediaType, MEDIA.gz);
  // The config's diff_ids are the gunzipped layers' digests.
  const config = await json(join(dir, 'blobs/sha256', manifest.config.digest.slice(7)));
  for (const [i, layer] of manifest.layers.entries()) {
    const { stdout } = await execa('bash', ['-c', 'gzip -dc "$0" | sha256sum', join(dir, 'blobs/sha256', layer.digest.slice(7))]);
    assert.equal(`sha256:${stdout.split(' ')[0]}`, config.rootfs.diff_ids[i]);
  }

  const inspected = JSON.parse((await execa('skopeo', ['inspect', `oci:${dir}:test`])).stdout);
  assert.equal(inspected.Digest, entry.digest);
  assert.deepEqual(inspected.Layers, manifest.layers.map((l: { digest: string }) => l.digest));

  const read = await layoutImage(dir);
  await validateImage(read.image);
  assert.equal((await manifestOf(read.image, 'oci')).digest, read.digest);

  const bundle = join(fixture.work, 'bundle');
  await execa('umoci', ['unpack', '--rootless', '--image', `${dir}:test`, bundle]);
  assert.equal(await readFile(join(bundle, 'rootfs/greeting'), 'utf8'), 'hello\n');
  assert.equal((await readFile(join(bundle, 'rootfs', fixture.lib.slice(1), 'share/data'))).length, 3 << 20);
});

test('--sbom-dir: the SBOM documents as artifacts referring to the image; index.json keeps its one entry, skopeo (with and without a tag) and umoci still read it', async () => {
  const sbom = join(fixture.work, 'sbom');
  await mkdir(sbom, { recursive: true });
  const documents = { 'application/spdx+json': Buffer.from('{"spdxVersion":"SPDX-2.3"}\n'), 'application/vnd.cyclonedx+json': Buffer.from('{"bomFormat":"CycloneDX"}\n') };
  await writeFile(join(sbom, 'sbom.spdx.json'), documents['application/spdx+json']);
  await writeFile(join(sbom, 'sbom.cdx.json'), documents['application/vnd.cyclonedx+json']);
  const dir = await layout('layout-sbom', ['--sbom-dir', sbom]);
  const plain = await layout('layout-no-sbom');
  const blob = (digest: string) => join(dir, 'blobs/sha256', digest.slice('sha256:'.length));
  const index = await json(join(dir, 'index.json'));
  assert.equal(index.manifests.length, 1);
  const [entry] = index.manifests;
  // The SBOM changes no image digest.
  assert.equal(entry.digest, (await json(join(plain, 'index.json'))).manifests[0].digest);
  const list = await json(blob(entry.annotations['org.nix-strata.referrers']));
  assert.equal(list.mediaType, 'application/vnd.oci.image.index.v1+json');
  assert.deepEqual(list.manifests.map((m: { artifactType: string }) => m.artifactType).sort(), Object.keys(documents).sort());
  for (const referrer of list.manifests) {
    const manifest = await json(blob(referrer.digest));
    assert.deepEqual(manifest.subject, { mediaType: entry.mediaType, digest: entry.digest, size: entry.size });
    assert.equal(manifest.artifactType, referrer.artifactType);
    assert.deepEqual(await readFile(blob(manifest.config.digest)), Buffer.from('{}'));
    assert.deepEqual(await readFile(blob(manifest.layers[0].digest)), documents[referrer.artifactType as keyof typeof documents]);
  }
  for (const name of await readdir(join(dir, 'blobs/sha256'))) {
    assert.equal(createHash('sha256').update(await readFile(join(dir, 'blobs/sha256', name))).digest('hex'), name);
  }
  for (const reference of [`oci:${dir}:test`, `oci:${dir}`]) {
    assert.equal(JSON.parse((await execa('skopeo', ['inspect', reference])).stdout).Digest, entry.digest);
  }
  const read = await layoutImage(dir);
  await validateImage(read.image);
  const bundle = join(fixture.work, 'bundle-sbom');
  await execa('umoci', ['unpack', '--rootless', '--image', `${dir}:test`, bundle]);
  assert.equal(await readFile(join(bundle, 'rootfs/greeting'), 'utf8'), 'hello\n');
});

test('--sbom-dir with another format than oci, or without its documents: one line', async () => {
  assertCleanFailure(await runCli(['stream', '--conf', fixture.confPath, '--sbom-dir', fixture.work, '--output', join(fixture.work, 'x.tar')]), /--sbom-dir: only an OCI layout \(--format oci\) holds the SBOM, not docker-archive/);
  assertCleanFailure(await runCli(['stream', '--conf', fixture.confPath, '--format', 'oci', '--sbom-dir', fixture.work, '--output', join(fixture.work, 'x')]), /--sbom-dir .*: cannot read sbom\.spdx\.json \(ENOENT\)/);
  await assertNothingLeft(fixture.work, 'x');
});

test('one manifest digest on one core and on all of them', async () => {
  const one = await layout('cores-1', [], { NIX_BUILD_CORES: '1' });
  const all = await layout('cores-all', [], { NIX_BUILD_CORES: '0' });
  assert.equal(await readFile(join(one, 'digest'), 'utf8'), await readFile(join(all, 'digest'), 'utf8'));
});

for (const compressor of ['zstd', 'none'] as const) {
  test(`--compressor ${compressor}: the layers get that media type, and skopeo reads the layout`, async () => {
    const dir = await layout(`layout-${compressor}`, ['--compressor', compressor]);
    const index = await json(join(dir, 'index.json'));
    const manifest = await json(join(dir, 'blobs/sha256', index.manifests[0].digest.slice(7)));
    for (const layer of manifest.layers) assert.equal(layer.mediaType, MEDIA[compressor]);
    const inspected = JSON.parse((await execa('skopeo', ['inspect', `oci:${dir}:test`])).stdout);
    assert.equal(inspected.Digest, index.manifests[0].digest);
    // The invariants of every image, over what the layout holds; its manifest is the model's.
    const { image, digest } = await layoutImage(dir);
    await validateImage(image);
    assert.equal((await manifestOf(image, 'oci')).digest, digest);
  });
}

test('--format oci-archive is the layout as one tar, and podman loads it', async () => {
  const dir = await layout('for-archive');
  const archive = join(fixture.work, 'image.oci.tar');
  const result = await runCli(['stream', '-q', '--conf', fixture.confPath, '--format', 'oci-archive', '--output', archive]);
  assert.equal(result.exitCode, 0, String(result.stderr));
  const unpacked = join(fixture.work, 'unpacked');
  await mkdir(unpacked);
  await execa('tar', ['-xf', archive, '-C', unpacked]);
  assert.deepEqual((await readdir(unpacked)).sort(), ['blobs', 'index.json', 'oci-layout']);
  assert.deepEqual(await readFile(join(unpacked, 'index.json')), await readFile(join(dir, 'index.json')));
  assert.deepEqual((await readdir(join(unpacked, 'blobs/sha256'))).sort(), (await readdir(join(dir, 'blobs/sha256'))).sort());
  const loaded = await execa('podman', ['load', '-i', archive]);
  try {
    assert.match(loaded.stdout + loaded.stderr, /Loaded image: localhost\/strata-faults:test/);
  } finally {
    await execa('podman', ['rmi', '-f', 'localhost/strata-faults:test'], { reject: false });
  }
});

test('--format oci without --output: one line', async () => {
  assertCleanFailure(await runCli(['stream', '--conf', fixture.confPath, '--format', 'oci']), /--format oci writes a directory: give it with --output DIR/);
});

test('an unknown --format: one line naming the formats', async () => {
  assertCleanFailure(await runCli(['stream', '--conf', fixture.confPath, '--format', 'oic']), /--format "oic": unknown output format; known: docker-archive, oci-archive, oci/);
});

test('a non-empty directory as the layout: one line, before any work, and nothing left', async () => {
  const dir = join(fixture.work, 'occupied');
  await mkdir(dir);
  await writeFile(join(dir, 'keep'), 'mine');
  assertCleanFailure(await runCli(['stream', '--conf', fixture.confPath, '--format', 'oci', '--output', dir]), /occupied is a directory that is not empty; remove it or give a new path/);
  assert.deepEqual(await readdir(dir), ['keep']);
  await assertNothingLeft(fixture.work, 'no-such');
});

test('a layout whose layer cannot be read: one line, and no directory under the final name', async () => {
  const broken = await makeFixture({ dataSize: 1 << 20 });
  try {
    await writeConf(broken);
    // The customisation layer no longer matches its checksum: found after the store layers are written.
    const layerTar = join(broken.customisation, 'layer.tar');
    const bytes = await readFile(layerTar);
    bytes[600] = 0x41;
    await writeFile(layerTar, bytes);
    const result = await runCli(['stream', '--conf', broken.confPath, '--format', 'oci', '--output', join(broken.work, 'out')]);
    assertCleanFailure(result, /customisation|checksum|layer\.tar/);
    await assertNothingLeft(broken.work, 'out');
  } finally {
    await rm(broken.work, { recursive: true, force: true });
  }
});

test('--image ARCHIVE (buildImage\'s source): the layout of the docker-archive has the conf\'s config and layers, without content keys', async () => {
  const archive = join(fixture.work, 'from-conf.tar');
  const streamed = await runCli(['stream', '-q', '--conf', fixture.confPath, '--output', archive]);
  assert.equal(streamed.exitCode, 0, String(streamed.stderr));
  const fromConf = await layout('digest-from-conf');
  const fromArchive = join(fixture.work, 'digest-from-archive');
  const result = await runCli(['stream', '-q', '--image', archive, '--format', 'oci', '--output', fromArchive]);
  assert.equal(result.exitCode, 0, String(result.stderr));
  // A docker-archive records no content keys (conf/content-key.ts), so only the conf's manifest
  // carries them; config and layer blobs are the same.
  const manifestOfLayout = async (dir: string) => {
    const { manifests: [entry] } = await json(join(dir, 'index.json'));
    return json(join(dir, 'blobs/sha256', entry.digest.slice(7)));
  };
  const [confManifest, archiveManifest] = [await manifestOfLayout(fromConf), await manifestOfLayout(fromArchive)];
  assert.equal(archiveManifest.config.digest, confManifest.config.digest);
  const stripped = (layers: Array<Record<string, unknown>>) => layers.map(({ annotations: _, ...rest }) => rest);
  assert.deepEqual(stripped(archiveManifest.layers), stripped(confManifest.layers));
  assert.ok(confManifest.layers.every((layer: { annotations?: Record<string, string> }) => /^sha256:[0-9a-f]{64}$/.test(layer.annotations?.['org.nix-strata.layer.key'] ?? '')));
  assert.ok(archiveManifest.layers.every((layer: { annotations?: unknown }) => layer.annotations === undefined));
});

test('both --conf and --image, or neither: one line', async () => {
  assertCleanFailure(await runCli(['stream', '--conf', fixture.confPath, '--image', fixture.confPath, '--format', 'oci', '--output', join(fixture.work, 'x')]), /exactly one of --conf FILE .* or --image FILE/);
  assertCleanFailure(await runCli(['stream', '--format', 'oci', '--output', join(fixture.work, 'x')]), /exactly one of --conf FILE/);
});

test('an oci-archive whose pipe reader goes away: exit 1, one line, no scratch layout left in TMPDIR', async () => {
  const scratch = join(fixture.work, 'tmp-reader-gone');
  await mkdir(scratch);
  const result = await execa('bash', ['-c', 'node "$0" stream -q --conf "$1" --format oci-archive 2>"$2" | head -c 1 >/dev/null; echo "${PIPESTATUS[0]}"', cli, fixture.confPath, join(fixture.work, 'err')], { env: { TMPDIR: scratch } });
  const stderr = await readFile(join(fixture.work, 'err'), 'utf8');
  assertCleanFailure({ exitCode: Number(result.stdout.trim()), stderr }, /the reader of the image stream went away/);
  assert.deepEqual(await readdir(scratch), []);
});
