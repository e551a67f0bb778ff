// fakeroot's view of the tree (find, through its preload library) checked against the kernel's
// (Node's lstat) before the layer is written. fakeroot only sees dynamically linked programs;
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
import type { Snapshot, SnapshotEntry } from './snapshot.ts';

/** How to read the real metadata. */
export interface ReconcileOptions {
  /** The tree on disk. */
  readonly root: string;
  /** The build ran as root (fakeroot -u): real owners are meaningful. */
  readonly realOwners: boolean;
}

// Kinds fakeroot fakes on top of an empty regular file (its mknod).
const FAKED_ON_FILE = new Set(['c', 'b', 'p', 's']);

/** `snapshot` with modes (and, as root, owners) corrected where fakeroot's record is stale. */
export function reconcile(snapshot: Snapshot, options: ReconcileOptions): Snapshot {
  const rootDisk = Buffer.from(options.root.replace(/\/+$/, ''), 'utf8');
  const result: Snapshot = new Map();
  for (const [path, entry] of snapshot) {
    const disk = path === '' ? rootDisk : Buffer.concat([rootDisk, Buffer.from(`/${path}`, 'latin1')]);
    result.set(path, reconciled(entry, lstatSync(disk), options));
  }
  return result;
}

function reconciled(entry: SnapshotEntry, real: Stats, options: ReconcileOptions): SnapshotEntry {
  const realKind = kindOf(real);
  if (realKind !== entry.kind) {
    if (realKind === 'f' && FAKED_ON_FILE.has(entry.kind)) return entry;
    const shown = `/${Buffer.from(entry.path, 'latin1').toString('utf8')}`;
    throw new UserError('stale-fakeroot-record', `runAsRoot left ${shown} a ${name(realKind)}, but fakeroot holds a record of a ${name(entry.kind)} for its inode: a statically linked program deleted a file fakeroot had seen changed, and the inode was reused; do that deletion with a dynamically linked program (e.g. coreutils' rm)`);
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

function kindOf(stats: Stats): string {
  if (stats.isFile()) return 'f';
  if (stats.isDirectory()) return 'd';
  if (stats.isSymbolicLink()) return 'l';
  if (stats.isFIFO()) return 'p';
  if (stats.isSocket()) return 's';
  if (stats.isCharacterDevice()) return 'c';
  if (stats.isBlockDevice()) return 'b';
  return 'U';
}

function name(kind: string): string {
  return { f: 'regular file', d: 'directory', l: 'symlink', p: 'FIFO', s: 'socket', c: 'character device', b: 'block device' }[kind] ?? 'special file';
}
