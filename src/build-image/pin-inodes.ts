// Keeps every inode of a tree allocated for a whole fakeroot session (issue 14 #2). fakeroot
// keys its records by inode number, and a deletion it cannot see (by a statically linked
// program, or by Node's own syscalls) leaves the record behind: a file made later on the
// reused number inherits the deleted one's owner, mode and even file type ("Not a directory").
// A second hard link in a directory outside the tree (same file system) keeps a
// non-directory's inode, an open descriptor a directory's. The tree itself changes only in
// st_nlink and ctime, so a snapshot to diff against must be taken after pinning.
import { closeSync, constants, linkSync, lstatSync, mkdirSync, openSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../errors.ts';

/** What to pin. */
export interface PinOptions {
  /** The tree. */
  readonly root: string;
  /** A new directory beside the tree (same file system) for the extra hard links. */
  readonly links: string;
  /** Relative paths left out with their subtrees (the fake chroot's bind-mount points). */
  readonly exclude?: readonly string[];
}

/** A pinned tree: how much is held, and how to let go of the directories. */
export interface PinnedTree {
  readonly files: number;
  readonly directories: number;
  /** Closes the directory descriptors (the hard links stay until the build directory goes). */
  release(): void;
}

const SLASH = Buffer.from('/');

/** Links every non-directory of `root` into `links` and opens every directory. */
export function pinInodes(options: PinOptions): PinnedTree {
  // Relative paths as latin1 strings of their UTF-8 bytes, as the walk names children.
  const excluded = new Set((options.exclude ?? []).map((relative) => Buffer.from(relative.replace(/^(\.\/)+/, '').replace(/^\/+|\/+$/g, ''), 'utf8').toString('latin1')));
  const descriptors: number[] = [];
  let files = 0;
  const release = (): void => {
    for (const fd of descriptors.splice(0)) closeSync(fd);
  };
  // Synchronous and depth-first, as listTreeDirectly walks (tree-listing.ts).
  const visit = (disk: Buffer, path: string): void => {
    if (!lstatSync(disk).isDirectory()) {
      linkSync(disk, join(options.links, String(files++)));
      return;
    }
    descriptors.push(openSync(disk, constants.O_RDONLY | constants.O_DIRECTORY));
    for (const name of readdirSync(disk, { encoding: 'buffer' })) {
      const child = path === '' ? name.toString('latin1') : `${path}/${name.toString('latin1')}`;
      if (!excluded.has(child)) visit(Buffer.concat([disk, SLASH, name]), child);
    }
  };
  try {
    mkdirSync(options.links);
    visit(Buffer.from(options.root.replace(/\/+$/, '') || '/'), '');
  } catch (error) {
    const held = descriptors.length;
    release();
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EMFILE' || code === 'ENFILE') {
      throw new UserError('too-many-directories', `cannot hold more than ${held} directories of ${options.root} open for runAsRoot (open-file limit reached); raise the build's limit (e.g. nix-daemon's LimitNOFILE)`, { cause: error });
    }
    throw new UserError('pin-failed', `cannot keep the inodes of ${options.root} for runAsRoot (${(error as Error).message}); check that the tree and ${options.links} are on one writable file system`, { cause: error });
  }
  return { files, directories: descriptors.length, release };
}
