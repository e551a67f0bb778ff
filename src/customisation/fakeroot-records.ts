// fakeroot's view of a tree (find, through its preload library) checked against the kernel's
// (Node's lstat) before a layer is written (runAsRoot's, and fakeRootCommands' customisation layer). fakeroot only sees dynamically linked programs;
// what a static one (busybox, Go tools) does to an inode fakeroot has a record for is hidden
// behind that record (issue 14 #2's siblings):
// - a chmod: fakeroot's own chmod leaves the real permissions equal to the recorded ones, or
//   those plus u+rw (u+rwx for a directory); anything else is a chmod it missed, and the real
//   mode is what was asked for (a missed chmod to exactly that "plus" stays unseen);
// - a chown, as root: fakeroot as root also chowns for real, so real owners that differ from
//   the record were set behind its back (as a build user a static chown fails instead);
// - a record of another file type: the inode was freed unseen and reused (pinning prevents this
//   for the tree's inodes, not for ones recorded and deleted during runAsRoot). There is no way
//   to know what was meant, so this fails.
import { lstatSync, type Stats } from 'node:fs';
import { UserError } from '../errors.ts';
import { kindOf, type TreeListingEntry } from './tree-listing.ts';

/** How to read the real metadata. */
export interface ReconcileOptions {
  /** The tree on disk. */
  readonly root: string;
  /** The build ran as root (fakeroot -u): real owners are meaningful. */
  readonly realOwners: boolean;
  /** Whose commands ran (named in the error), e.g. "runAsRoot". */
  readonly step: string;
}

// Kinds fakeroot fakes on top of an empty regular file (its mknod).
const FAKED_ON_FILE = new Set(['c', 'b', 'p', 's']);

/** `entries` (path → entry) with modes (and, as root, owners) corrected where fakeroot's record is stale. */
export function reconcile<T extends TreeListingEntry>(entries: ReadonlyMap<string, T>, options: ReconcileOptions): Map<string, T> {
  const result = new Map<string, T>();
  for (const [path, entry] of entries) result.set(path, reconciled(entry, realStats(entry.path, options.root), options));
  return result;
}

/** The same for a listing (customisation/tar-tree.ts). */
export function reconcileListing<T extends TreeListingEntry>(listing: readonly T[], options: ReconcileOptions): T[] {
  return listing.map((entry) => reconciled(entry, realStats(entry.path, options.root), options));
}

function realStats(path: string, root: string): Stats {
  const rootDisk = Buffer.from(root.replace(/\/+$/, ''), 'utf8');
  return lstatSync(path === '' ? rootDisk : Buffer.concat([rootDisk, Buffer.from(`/${path}`, 'latin1')]));
}

function reconciled<T extends TreeListingEntry>(entry: T, real: Stats, options: ReconcileOptions): T {
  const realKind = kindOf(real);
  if (realKind !== entry.kind) {
    if (realKind === 'f' && FAKED_ON_FILE.has(entry.kind)) return entry;
    const shown = `/${Buffer.from(entry.path, 'latin1').toString('utf8')}`;
    throw new UserError('stale-fakeroot-record', `${options.step} left ${shown} a ${name(realKind)}, but fakeroot holds a record of a ${name(entry.kind)} for its inode: a statically linked program deleted a file fakeroot had seen changed, and the inode was reused; do that deletion with a dynamically linked program (e.g. coreutils' rm)`);
  }
  if (entry.kind === 'l') return entry;
  const recorded = entry.mode & 0o777;
  const actual = real.mode & 0o777;
  const ownBits = entry.kind === 'd' ? 0o700 : 0o600;
  // Nix's seccomp filter refuses a real chmod that sets setuid/setgid, which fakeroot ignores:
  // then the real mode is the old one, and the record is right.
  const refusedSetId = (entry.mode & 0o6000) !== 0 && (real.mode & 0o6000) === 0;
  const chmodMissed = !refusedSetId && actual !== recorded && actual !== (recorded | ownBits);
  const chownMissed = options.realOwners && (real.uid !== entry.uid || real.gid !== entry.gid);
  if (!chmodMissed && !chownMissed) return entry;
  return {
    ...entry,
    ...(chmodMissed ? { mode: real.mode & 0o7777 } : {}),
    ...(chownMissed ? { uid: real.uid, gid: real.gid } : {}),
  };
}

function name(kind: string): string {
  return { f: 'regular file', d: 'directory', l: 'symlink', p: 'FIFO', s: 'socket', c: 'character device', b: 'block device' }[kind] ?? 'special file';
}
