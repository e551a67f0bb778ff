// What a layer must hold to turn the `before` tree into the `after` tree (OCI layer rules,
// format.md §8): every new or changed entry with its ancestors, a `.wh.<name>` whiteout for
// the top-most deleted entries, and an opaque marker `.wh..wh..opq` in a directory that was
// removed and created again (else the lower layers' children would show through it).
import type { Snapshot, SnapshotEntry } from './snapshot.ts';

/** The difference between two snapshots, as a layer needs it. */
export interface TreeDiff {
  /** Paths of `after` the layer carries (the root '' always), unordered. */
  readonly include: ReadonlySet<string>;
  /** Paths (in `after`'s tree) of `.wh.<name>` files to add, one per top-most deletion. */
  readonly whiteouts: readonly string[];
  /** Directories of `after` that get an opaque marker. */
  readonly opaque: readonly string[];
}

/** The whiteout file name for a deleted path. */
export function whiteoutPath(path: string): string {
  const slash = path.lastIndexOf('/');
  return slash < 0 ? `.wh.${path}` : `${path.slice(0, slash)}/.wh.${path.slice(slash + 1)}`;
}

/** The opaque marker inside a directory. */
export function opaquePath(dir: string): string {
  return dir === '' ? '.wh..wh..opq' : `${dir}/.wh..wh..opq`;
}

function parentOf(path: string): string {
  const slash = path.lastIndexOf('/');
  return slash < 0 ? '' : path.slice(0, slash);
}

function changed(before: SnapshotEntry, after: SnapshotEntry): boolean {
  return before.kind !== after.kind || before.mode !== after.mode || before.uid !== after.uid || before.gid !== after.gid
    || before.size !== after.size || before.inode !== after.inode || before.ctime !== after.ctime || before.target !== after.target;
}

/** Compares two snapshots of the same root. */
export function diffTrees(before: Snapshot, after: Snapshot): TreeDiff {
  const opaque = new Set<string>();
  const include = new Set<string>(['']);
  for (const [path, entry] of after) {
    const old = before.get(path);
    if (old && !changed(old, entry)) continue;
    include.add(path);
    // A directory that is a new inode where a directory was: it was deleted and made again.
    if (path !== '' && old && old.kind === 'd' && entry.kind === 'd' && old.inode !== entry.inode) opaque.add(path);
  }
  // Below an opaque directory no lower entry shows through, so a nested marker says nothing.
  for (const dir of [...opaque]) if (isBelowOpaque(dir, opaque)) opaque.delete(dir);
  // Everything below an opaque directory must be carried, changed or not.
  if (opaque.size > 0) {
    for (const path of after.keys()) {
      for (let up = parentOf(path); ; up = parentOf(up)) {
        if (opaque.has(up) && up !== path) {
          include.add(path);
          break;
        }
        if (up === '') break;
      }
    }
  }
  // Ancestors of carried entries, so the layer is a well-formed tree.
  for (const path of [...include]) {
    for (let up = parentOf(path); up !== '' && !include.has(up); up = parentOf(up)) include.add(up);
  }
  const whiteouts: string[] = [];
  for (const path of before.keys()) {
    if (path === '' || after.has(path)) continue;
    const parent = parentOf(path);
    const parentAfter = after.get(parent);
    // Parent gone or no longer a directory: a whiteout (or the replacing entry) higher up covers it.
    if (!parentAfter || parentAfter.kind !== 'd' || before.get(parent)?.kind !== 'd') continue;
    if (isBelowOpaque(path, opaque)) continue;
    whiteouts.push(whiteoutPath(path));
    include.add(parent);
    for (let up = parentOf(parent); up !== '' && !include.has(up); up = parentOf(up)) include.add(up);
  }
  return { include, whiteouts: whiteouts.sort(), opaque: [...opaque].sort() };
}

function isBelowOpaque(path: string, opaque: ReadonlySet<string>): boolean {
  if (opaque.size === 0) return false;
  for (let up = parentOf(path); ; up = parentOf(up)) {
    if (opaque.has(up)) return true;
    if (up === '') return false;
  }
}
