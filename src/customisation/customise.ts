// The customisation layer in one step, for the common case with no extraCommands, no
// fakeRootCommands and no Nix database: merge `contents` and archive the tree in one process,
// with owner 0:0 forced, which is what the fakeroot session would have reported for a tree
// nobody chowned (format.md §5.2 "Owner"). Same bytes as merge-contents + fakeroot tar-tree,
// without a second Node start-up and a fakeroot session per rebuild.
import type { Digest } from '../digest/digest.ts';
import type { Logger } from '../log.ts';
import { mergeContents } from './merge.ts';
import { writeTreeTar } from './tar-tree.ts';

/** What to merge, where to build the tree, where the layer goes. */
export interface CustomiseOptions {
  /** The directory the tree is built in (created if missing). */
  readonly into: string;
  /** The `contents` elements, in list order. */
  readonly elements: readonly string[];
  /** Where `layer.tar` and `checksum` are written. */
  readonly outDir: string;
  /** Merge conflicts and skipped sockets. */
  readonly log: Logger;
}

/** The owner fakeroot reports for every file it did not see chowned. */
export const FAKEROOT_OWNER = { uid: 0, gid: 0 } as const;

/** Merges `elements` into `into` and writes the layer of that tree, owned by 0:0. */
export async function customise(options: CustomiseOptions): Promise<{ digest: Digest; size: number }> {
  await mergeContents({ into: options.into, elements: options.elements, log: options.log });
  return writeTreeTar({ root: options.into, outDir: options.outDir, owner: FAKEROOT_OWNER, log: options.log });
}
