// A layer's `stored` blob (a buildLayer output: its tar already compressed) copied as it is,
// instead of compressing the tar again. The bytes are hashed as they stream and checked against
// the digest and size recorded beside them, so a damaged store file never reaches an archive,
// a layout or a registry under the recorded digest.
import { createHash } from 'node:crypto';
import { UserError } from '../errors.ts';
import type { Layer } from '../image/types.ts';

/** A layer's stored blob, as types.ts describes it. */
export type StoredBlob = NonNullable<Layer['stored']>;

/** `layer`'s stored blob when it is compressed as `compression`, else undefined (then the sink compresses). */
export function storedAs(layer: { readonly stored?: StoredBlob | undefined }, compression: StoredBlob['compression']): StoredBlob | undefined {
  return layer.stored?.compression === compression ? layer.stored : undefined;
}

/**
 * The bytes of `stored`, the blob of the layer `name` says (layerName), in order. After the last
 * byte (or at the first byte past the recorded size) a difference from the recorded sha256 and
 * size is one UserError naming the layer, thrown before the stream ends, so a consumer never
 * takes it as complete.
 */
export async function* checkedStoredBlob(stored: StoredBlob, name: string): AsyncGenerator<Buffer> {
  const hash = createHash('sha256');
  let size = 0;
  const source = stored.open();
  try {
    for await (const chunk of source) {
      const bytes = chunk as Buffer;
      size += bytes.length;
      if (size > stored.size) throw corrupt(name, stored, `more than its recorded ${stored.size} bytes`);
      hash.update(bytes);
      yield bytes;
    }
  } finally {
    source.destroy();
  }
  const digest = `sha256:${hash.digest('hex')}`;
  if (size !== stored.size) throw corrupt(name, stored, `${size} bytes, not its recorded ${stored.size}`);
  if (digest !== stored.digest) throw corrupt(name, stored, `digest ${digest}, not its recorded ${stored.digest}`);
}

function corrupt(name: string, stored: StoredBlob, what: string): UserError {
  return new UserError('stored-blob-corrupt',
    `the stored ${stored.compression} blob of ${name} has ${what}: it was changed after it was built; repair it (nix-store --verify --check-contents --repair) or rebuild the layer`);
}

/** `layer` as an error names it: its first origin (a store path), and how many more. */
export function layerName(layer: Pick<Layer, 'origin'>): string {
  const [first, ...rest] = layer.origin;
  return `layer ${first ?? '(unnamed)'}${rest.length === 0 ? '' : ` (and ${rest.length} more paths)`}`;
}
