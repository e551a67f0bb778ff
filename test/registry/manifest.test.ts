// Manifest and index parsing, layer media types, and platform selection.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sha256Digest } from '../../src/digest/digest.ts';
import { UserError } from '../../src/errors.ts';
import { layerCompression, MEDIA_TYPES, parseManifest, selectPlatform, type Descriptor } from '../../src/registry/manifest.ts';

const d = (s: string) => sha256Digest(s);
const json = (value: object) => Buffer.from(JSON.stringify(value));

describe('parseManifest', () => {
  it('reads a Docker schema 2 manifest', () => {
    const parsed = parseManifest(json({
      schemaVersion: 2, mediaType: MEDIA_TYPES.dockerManifest,
      config: { mediaType: 'application/vnd.docker.container.image.v1+json', digest: d('c'), size: 3 },
      layers: [{ mediaType: 'application/vnd.docker.image.rootfs.diff.tar.gzip', digest: d('l'), size: 9 }],
    }), undefined, 'm');
    assert.equal(parsed.kind, 'manifest');
    assert.ok(parsed.kind === 'manifest');
    assert.equal(parsed.config.digest, d('c'));
    assert.deepEqual(parsed.layers.map((l) => l.size), [9]);
  });

  it('takes the media type from Content-Type when the body has none', () => {
    const parsed = parseManifest(json({ schemaVersion: 2, manifests: [{ mediaType: MEDIA_TYPES.ociManifest, digest: d('a'), size: 1, platform: { os: 'linux', architecture: 'arm', variant: 'v7' } }] }),
      `${MEDIA_TYPES.ociIndex}; charset=utf-8`, 'm');
    assert.equal(parsed.kind, 'index');
    assert.ok(parsed.kind === 'index');
    assert.deepEqual(parsed.manifests[0]!.platform, { os: 'linux', architecture: 'arm', variant: 'v7' });
  });

  const bad: Array<[string, Buffer, RegExp]> = [
    ['not JSON', Buffer.from('<html>'), /not JSON/],
    ['schema 1', json({ schemaVersion: 1, fsLayers: [] }), /schema 1 manifests are not supported/],
    ['an artifact type', json({ schemaVersion: 2, mediaType: 'application/vnd.cncf.helm.chart', layers: [] }), /unsupported media type/],
    ['a bad digest', json({ schemaVersion: 2, mediaType: MEDIA_TYPES.ociManifest, config: { mediaType: 'x', digest: 'sha256:00', size: 1 }, layers: [] }), /m: config\.digest/],
    ['a negative size', json({ schemaVersion: 2, mediaType: MEDIA_TYPES.ociManifest, config: { mediaType: 'x', digest: d('c'), size: -1 }, layers: [] }), /config\.size/],
  ];
  for (const [name, bytes, pattern] of bad) {
    it(`rejects ${name}`, () => assert.throws(() => parseManifest(bytes, undefined, 'm'), (error: unknown) => error instanceof UserError && pattern.test(error.message)));
  }
});

describe('layerCompression', () => {
  it('maps OCI and Docker layer types', () => {
    assert.equal(layerCompression('application/vnd.oci.image.layer.v1.tar', 'x'), 'none');
    assert.equal(layerCompression('application/vnd.docker.image.rootfs.diff.tar.gzip', 'x'), 'gzip');
    assert.equal(layerCompression('application/vnd.oci.image.layer.v1.tar+zstd', 'x'), 'zstd');
    assert.throws(() => layerCompression('application/vnd.cncf.helm.chart.content.v1.tar+gzip', 'layers[0]'), /layers\[0\]: unsupported layer media type/);
  });
});

describe('selectPlatform', () => {
  const entry = (architecture: string, variant?: string, os = 'linux'): Descriptor => ({
    mediaType: MEDIA_TYPES.ociManifest, digest: d(`${os}${architecture}${variant}`), size: 1,
    platform: { os, architecture, ...(variant ? { variant } : {}) },
  });
  const index = [entry('amd64'), entry('arm', 'v6'), entry('arm', 'v7'), entry('arm64', 'v8'), entry('amd64', undefined, 'windows'),
    { mediaType: MEDIA_TYPES.ociManifest, digest: d('attestation'), size: 1 }];

  it('chooses by os and architecture', () => {
    assert.equal(selectPlatform(index, 'linux', 'amd64', 'i'), index[0]);
    assert.equal(selectPlatform(index, 'windows', 'amd64', 'i'), index[4]);
    assert.equal(selectPlatform(index, 'linux', 'arm64', 'i'), index[3]);
  });
  it('honours a variant, and takes the first without one', () => {
    assert.equal(selectPlatform(index, 'linux', 'arm/v7', 'i'), index[2]);
    assert.equal(selectPlatform(index, 'linux', 'arm', 'i'), index[1]);
  });
  it('lists what is available when nothing matches', () => {
    assert.throws(() => selectPlatform(index, 'linux', 's390x', 'image index x'),
      /image index x: no manifest for linux\/s390x; available: linux\/amd64, linux\/arm\/v6, linux\/arm\/v7, linux\/arm64\/v8, windows\/amd64; set os and arch/);
  });
});
