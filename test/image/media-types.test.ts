// One mapping between compression and layer media type, both schemas, both directions (format.md §8).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { layerCompression, layerMediaType } from '../../src/image/media-types.ts';
import type { LayerCompression } from '../../src/image/types.ts';

const TABLE: ReadonlyArray<[LayerCompression, string | undefined, string | undefined]> = [
  ['none', 'application/vnd.oci.image.layer.v1.tar', 'application/vnd.docker.image.rootfs.diff.tar'],
  ['gzip', 'application/vnd.oci.image.layer.v1.tar+gzip', 'application/vnd.docker.image.rootfs.diff.tar.gzip'],
  ['zstd', 'application/vnd.oci.image.layer.v1.tar+zstd', undefined],
  ['bzip2', undefined, undefined],
  ['xz', undefined, undefined],
];

test('each compression has its OCI and Docker layer media type, and each type reads back as that compression', () => {
  for (const [compression, oci, docker] of TABLE) {
    for (const [schema, type] of [['oci', oci], ['docker', docker]] as const) {
      if (type === undefined) {
        assert.throws(() => layerMediaType(compression, schema, 'layer 3'), (error: Error) =>
          error.name === 'UserError' && error.message.startsWith(`layer 3: a ${compression}-compressed layer has no `), `${compression} ${schema}`);
      } else {
        assert.equal(layerMediaType(compression, schema, 'x'), type);
        assert.equal(layerCompression(type, 'x'), compression);
      }
    }
  }
});

test('deprecated gzip layer types still read as gzip; anything else is refused naming the field', () => {
  assert.equal(layerCompression('application/vnd.docker.image.rootfs.foreign.diff.tar.gzip', 'x'), 'gzip');
  assert.equal(layerCompression('application/vnd.oci.image.layer.nondistributable.v1.tar+gzip', 'x'), 'gzip');
  assert.throws(() => layerCompression('application/vnd.oci.image.config.v1+json', 'layers[1]'), /^UserError: layers\[1\]: unsupported layer media type/);
});
