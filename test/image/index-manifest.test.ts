// The OCI image index (image/index-manifest.ts): one descriptor per platform, refusals in one line.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Digest } from '../../src/digest/digest.ts';
import { UserError } from '../../src/errors.ts';
import { imageIndex, platformOfConfig, type IndexEntry } from '../../src/image/index-manifest.ts';

const entry = (name: string, architecture: string, variant?: string): IndexEntry => ({
  name, mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: `sha256:${name.padEnd(64, '0')}` as Digest, size: 10,
  platform: { architecture, os: 'linux', ...(variant === undefined ? {} : { variant }) },
});

test('one manifest descriptor with its platform per image, canonical JSON', () => {
  const { raw } = imageIndex([entry('a', 'amd64'), entry('b', 'arm64', 'v8')], { x: 'y' }, 'app');
  const index = JSON.parse(raw.toString());
  assert.equal(index.mediaType, 'application/vnd.oci.image.index.v1+json');
  assert.deepEqual(index.manifests.map((m: { platform: unknown }) => m.platform), [{ architecture: 'amd64', os: 'linux' }, { architecture: 'arm64', os: 'linux', variant: 'v8' }]);
  assert.deepEqual(index.annotations, { x: 'y' });
  assert.match(raw.toString(), /^\{"annotations":/);
});

test('two images of one platform are refused, naming both', () => {
  assert.throws(() => imageIndex([entry('a:1', 'arm64'), entry('b:1', 'arm64')], {}, 'app'),
    (e: unknown) => e instanceof UserError && e.message === 'image index app: images a:1 and b:1 are both linux/arm64; give each platform once (set architecture/variant of one of them)');
  // Another variant is another platform.
  assert.doesNotThrow(() => imageIndex([entry('a', 'arm', 'v6'), entry('b', 'arm', 'v7')], {}, 'app'));
});

test('a config without an architecture is refused, naming the image', () => {
  assert.throws(() => platformOfConfig(Buffer.from('{"os":"linux"}'), 'b:1', 'app'), (e: unknown) => e instanceof UserError && /image index app: image b:1 has no architecture/.test(e.message));
  assert.deepEqual(platformOfConfig(Buffer.from('{"architecture":"arm64","os":"linux","variant":"v8"}'), 'b', 'app'), { architecture: 'arm64', os: 'linux', variant: 'v8' });
});
