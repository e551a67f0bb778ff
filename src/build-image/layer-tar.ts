// The single layer buildImage adds, written as `<outDir>/layer.tar` + `checksum` in the GNU
// dialect of the customisation layer (format.md §5.2: name-sorted, numeric owners, mtime
// 315532800, hard links dereferenced): either a whole tree (no runAsRoot) or only what
// changed in it since a snapshot, with whiteouts for deletions (runAsRoot). The whole tree is
// customisation/tar-tree.ts's writeTreeTar, byte for byte what this module wrote before for it
// (test/build-image/layer-tar.test.ts compares the two); only the difference is written here.
import { reconcile } from '../customisation/fakeroot-records.ts';
import { CUSTOMISATION_MTIME, deviceNumbers, treeEntryChunks, writeLayerFiles, writeTreeTar } from '../customisation/tar-tree.ts';
import type { Digest } from '../digest/digest.ts';
import { UserError } from '../errors.ts';
import { ChunkBuffer } from '../tar/chunks.ts';
import { encodeGnuHeader } from '../tar/gnu-header.ts';
import { diffTrees, opaquePath } from './diff.ts';
import { snapshotTree, type Snapshot, type SnapshotEntry } from './snapshot.ts';

/** How to write the layer. */
export interface LayerTarOptions {
  /** The tree (its root is the entry `./`). */
  readonly root: string;
  readonly outDir: string;
  /** Only carry what changed since this snapshot of `root` (deletions become whiteouts). */
  readonly before?: Snapshot;
  /** Relative paths left out with their subtrees (bind-mount points of the fake chroot). */
  readonly exclude?: readonly string[];
  /**
   * Owner forced on every entry (buildImage's uid/gid without runAsRoot); default: as listed.
   * Without `before` the tree is then read with Node's lstat (writeTreeTar), not through `find`,
   * so it must not be under a fakeroot session whose faked modes or devices should count.
   */
  readonly owner?: { readonly uid: number; readonly gid: number };
  /** With `before`: the build runs as root (fakeroot -u), so real owners that differ from fakeroot's records win (customisation/fakeroot-records.ts). */
  readonly realOwners?: boolean;
}

// An entry to write: from the tree, or a whiteout/opaque marker that exists only in the tar.
type Planned = { readonly path: string; readonly entry: SnapshotEntry | undefined; readonly marker?: { uid: number; gid: number; mode: number } };

/** Writes `<outDir>/layer.tar` and `<outDir>/checksum`; returns the tar's digest and size. */
export async function writeLayerTar(options: LayerTarOptions): Promise<{ digest: Digest; size: number }> {
  // The whole tree: the customisation layer's writer (same dialect, order, devices and root entry).
  if (!options.before) return writeTreeTar({ root: options.root, outDir: options.outDir, exclude: options.exclude ?? [], owner: options.owner });
  // What static programs did behind fakeroot's records (customisation/fakeroot-records.ts).
  const after = reconcile(await snapshotTree(options.root, options.exclude ?? []), { root: options.root, realOwners: options.realOwners === true, step: 'runAsRoot' });
  const root = after.get('');
  if (!root || root.kind !== 'd') throw new UserError('not-a-directory', `${options.root} is not a directory`);
  const planned: Planned[] = [];
  const diff = diffTrees(options.before, after);
  for (const path of diff.include) planned.push({ path, entry: after.get(path) });
  // Docker writes whiteouts as empty 0600 root files; the opaque marker takes its directory's mode and owner.
  for (const path of diff.whiteouts) planned.push({ path, entry: undefined, marker: { uid: 0, gid: 0, mode: 0o600 } });
  for (const dir of diff.opaque) {
    const owner = after.get(dir)!;
    planned.push({ path: opaquePath(dir), entry: undefined, marker: { uid: owner.uid, gid: owner.gid, mode: owner.mode } });
  }
  const devices = await deviceNumbers(options.root, planned.flatMap(({ entry }) => (entry ? [entry] : [])));
  const chunks = layerChunks(options.root.replace(/\/+$/, ''), treeOrder(planned), devices, options.owner);
  return writeLayerFiles(options.outDir, chunks);
}

/** Depth-first order with siblings sorted bytewise, as `tar --sort=name` walks a tree. */
export function treeOrder<T extends { readonly path: string }>(entries: readonly T[]): T[] {
  const key = (path: string) => (path === '' ? [] : path.split('/'));
  return [...entries].sort((a, b) => {
    const x = key(a.path);
    const y = key(b.path);
    for (let i = 0; i < Math.min(x.length, y.length); i++) {
      if (x[i] !== y[i]) return x[i]! < y[i]! ? -1 : 1;
    }
    return x.length - y.length;
  });
}

function* layerChunks(
  rootDisk: string,
  planned: readonly Planned[],
  devices: ReadonlyMap<string, { major: number; minor: number }>,
  owner: { readonly uid: number; readonly gid: number } | undefined,
): Generator<Buffer> {
  const out = new ChunkBuffer();
  for (const { path, entry, marker } of planned) {
    const raw = Buffer.from(path, 'latin1');
    if (marker) {
      yield* out.put(encodeGnuHeader({ name: Buffer.concat([Buffer.from('./'), raw]), type: 'file', size: 0, mtime: CUSTOMISATION_MTIME, ...marker }));
      continue;
    }
    if (entry) yield* treeEntryChunks(out, rootDisk, entry, devices, { owner });
  }
  yield* out.end();
}
