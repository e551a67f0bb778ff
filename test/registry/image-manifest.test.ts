// The manifest a push PUTs (registry/image-manifest.ts): fixed bytes for fixed descriptors, and
// the media types of each schema. The expected digest is sha256sum's of the expected text.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import type { Digest } from '../../src/digest/digest.ts';
import { imageManifest, layerMediaType } from '../../src/registry/image-manifest.ts';
import { parseManifest } from '../../src/registry/manifest.ts';

const config = { digest: `sha256:${'c'.repeat(64)}` as Digest, size: 123 };
const layer = { mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: `sha256:${'a'.repeat(64)}` as Digest, size: 456 };

test('an OCI manifest: canonical JSON (sorted keys, no whitespace), its digest the sha256 of those bytes', () => {
  const built = imageManifest('oci', config, [layer]);
  const text = `{"config":{"digest":"sha256:${'c'.repeat(64)}","mediaType":"application/vnd.oci.image.config.v1+json","size":123},"layers":[{"digest":"sha256:${'a'.repeat(64)}","mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","size":456}],"mediaType":"application/vnd.oci.image.manifest.v1+json","schemaVersion":2}`;
  assert.equal(built.bytes.toString(), text);
  assert.equal(built.digest, `sha256:${createHash('sha256').update(text).digest('hex')}`);
  assert.equal(built.mediaType, 'application/vnd.oci.image.manifest.v1+json');
  const parsed = parseManifest(built.bytes, undefined, 'built');
  assert.equal(parsed.kind, 'manifest');
});

test('Docker schema 2 media types; zstd only in OCI; no type for bzip2 or xz', () => {
  const built = imageManifest('docker', config, [{ ...layer, mediaType: layerMediaType('docker', 'gzip')! }]);
  assert.match(built.bytes.toString(), /^\{"config":\{"digest":"sha256:c{64}","mediaType":"application\/vnd\.docker\.container\.image\.v1\+json","size":123\},.*"mediaType":"application\/vnd\.docker\.distribution\.manifest\.v2\+json","schemaVersion":2\}$/);
  assert.equal(layerMediaType('docker', 'gzip'), 'application/vnd.docker.image.rootfs.diff.tar.gzip');
  assert.equal(layerMediaType('docker', 'none'), 'application/vnd.docker.image.rootfs.diff.tar');
  assert.equal(layerMediaType('oci', 'zstd'), 'application/vnd.oci.image.layer.v1.tar+zstd');
  assert.equal(layerMediaType('docker', 'zstd'), undefined);
  assert.equal(layerMediaType('oci', 'bzip2'), undefined);
  assert.equal(layerMediaType('oci', 'xz'), undefined);
});

test('annotations: first key of an OCI manifest (canonical order); Docker schema 2 has no such field', () => {
  const annotations = { 'org.opencontainers.image.source': 'https://example.org/app' };
  const oci = imageManifest('oci', config, [layer], annotations).bytes.toString();
  assert.match(oci, /^\{"annotations":\{"org\.opencontainers\.image\.source":"https:\/\/example\.org\/app"\},"config":/);
  const docker = imageManifest('docker', config, [{ ...layer, mediaType: layerMediaType('docker', 'gzip')! }], annotations).bytes.toString();
  assert.doesNotMatch(docker, /annotations/);
});
