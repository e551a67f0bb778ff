// A snapshot of a directory tree as `find` sees it (so fakeroot's faked owners and modes are
// what is recorded, see customisation/tree-listing.ts), with the inode number and change time
// that tell whether an entry was touched between two snapshots without reading file contents:
// any write, chmod, rename or re-creation moves the ctime or changes the inode, and a chown
// under fakeroot (which leaves the real ctime alone) changes the faked uid/gid we compare.
import { readFile } from 'node:fs/promises';
import { UserError } from '../errors.ts';
import { findRecords, type TreeListingEntry } from '../customisation/tree-listing.ts';
import { writeOutputFile } from '../sinks/output-target.ts';

/** One entry of a snapshot: a tree-listing entry plus what detects changes. */
export interface SnapshotEntry extends TreeListingEntry {
  /** Inode number, as a decimal string (it may exceed 2^53). */
  readonly inode: string;
  /** Status change time, `find`'s %C@ text (seconds with a fraction). */
  readonly ctime: string;
  /** Symlink target (raw bytes as latin1), '' for other kinds. */
  readonly target: string;
}

/** A snapshot: relative path ('' is the root, latin1 bytes) → entry. */
export type Snapshot = Map<string, SnapshotEntry>;

// One record: fields separated by spaces, then the path and the link target, each NUL-ended.
const FORMAT = '%y %m %U %G %s %i %C@\\0%P\\0%l\\0';

/** Lists `root` with `find`, leaving out `exclude` (relative paths) with their subtrees. */
export async function snapshotTree(root: string, exclude: readonly string[] = []): Promise<Snapshot> {
  return parseSnapshot(await snapshotRecords(root, exclude));
}

/** Writes the raw snapshot records of `root` to `file`, for a later `readSnapshotFile`. */
export async function writeSnapshotFile(root: string, file: string, exclude: readonly string[] = []): Promise<void> {
  writeOutputFile(file, await snapshotRecords(root, exclude));
}

/** Reads a snapshot written by `writeSnapshotFile`. */
export async function readSnapshotFile(file: string): Promise<Snapshot> {
  const bytes = await readFile(file).catch((error: unknown) => {
    throw new UserError('missing-snapshot', `${file}: cannot read the snapshot (${(error as Error).message}); write it first with \`build-image snapshot\``, { cause: error });
  });
  const corrupt = (reason: string, cause?: unknown): UserError =>
    new UserError('bad-snapshot', `${file}: not a snapshot as \`build-image snapshot\` writes it (${reason}); take the snapshot again`, { cause });
  let snapshot: Snapshot;
  try {
    snapshot = parseSnapshot(bytes);
  } catch (error) {
    throw corrupt(error instanceof Error ? error.message : String(error), error);
  }
  // find lists the tree's root first, as the record with an empty path.
  if (!snapshot.has('')) throw corrupt('no record of the tree\'s root');
  return snapshot;
}

/** find's raw NUL-separated records for `root`. */
function snapshotRecords(root: string, exclude: readonly string[]): Promise<Buffer> {
  return findRecords(root, exclude, FORMAT);
}

/** Parses the NUL-separated records `snapshotTree` asks find for. */
export function parseSnapshot(output: Buffer): Snapshot {
  const snapshot: Snapshot = new Map();
  let start = 0;
  const next = (): string => {
    const end = output.indexOf(0, start);
    if (end < 0) throw new Error('find output ends without a NUL terminator');
    const text = output.toString('latin1', start, end);
    start = end + 1;
    return text;
  };
  while (start < output.length) {
    const fields = next();
    const path = next();
    const target = next();
    const match = /^(\S) ([0-7]+) (\d+) (\d+) (\d+) (\d+) (\S+)$/.exec(fields);
    if (!match) throw new Error(`unexpected find record ${JSON.stringify(fields)}`);
    snapshot.set(path, {
      kind: match[1]!,
      mode: parseInt(match[2]!, 8),
      uid: Number(match[3]),
      gid: Number(match[4]),
      size: Number(match[5]),
      inode: match[6]!,
      ctime: match[7]!,
      path,
      target: match[1] === 'l' ? target : '',
    });
  }
  return snapshot;
}
