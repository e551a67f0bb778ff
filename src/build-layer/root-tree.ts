// buildLayer with copyToRoot: the store layer's entries, then the copied tree's (buildImage's
// copyToRoot copy, written in the customisation layer's dialect with the layer's owner), then one
// end-of-archive. The tree lives in the build directory only while the tar is written.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { copyToRoot } from '../build-image/copy-to-root.ts';
import { tarEntryBytes } from '../build-image/tar-entries.ts';
import { treeTarChunks } from '../customisation/tar-tree.ts';
import { listTreeDirectly } from '../customisation/tree-listing.ts';
import { asyncChunks } from '../tar/chunks.ts';
import { BLOCK_SIZE, RECORD_SIZE } from '../tar/header.ts';
import { storeLayerChunks, type StoreLayerOwnership } from '../tar/store-layer.ts';

/** The tar of `paths` followed by the merged trees of `items` at `/`. */
export async function* storeLayerWithRoot(paths: readonly string[], owner: StoreLayerOwnership, items: readonly string[]): AsyncGenerator<Buffer> {
  const root = await mkdtemp(join(process.env.NIX_BUILD_TOP || tmpdir(), 'layer-root-'));
  try {
    const tree = join(root, 'tree');
    await copyToRoot({ into: tree, items, keepDirlinks: false });
    const { listing, devices } = await listTreeDirectly(tree);
    let written = 0;
    const parts = [storeLayerChunks(paths, owner), treeTarChunks(tree, listing, devices, undefined, { uid: owner.uid, gid: owner.gid })];
    for (const [index, part] of parts.entries()) {
      for await (const bytes of tarEntryBytes(asyncChunks(part), index === 0 ? 'store layer' : 'copyToRoot tree')) {
        written += bytes.length;
        yield bytes;
      }
    }
    // Two zero blocks, padded to a whole record as both writers end theirs.
    const remainder = (written + 2 * BLOCK_SIZE) % RECORD_SIZE;
    yield Buffer.alloc(2 * BLOCK_SIZE + (remainder === 0 ? 0 : RECORD_SIZE - remainder));
  } finally {
    // Read-only directories copied from the store may refuse removal; a build directory goes with the build.
    await rm(root, { recursive: true, force: true }).catch(() => undefined);
  }
}
