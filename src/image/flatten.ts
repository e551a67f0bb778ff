// Flattening (go-containerregistry's mutate.Extract): an image's layers, bottom to top, applied
// into one root filesystem by the OCI layer rules: later entries replace earlier ones,
// `.wh.<name>` deletes, `.wh..wh..opq` hides everything lower layers put in its directory
// (format.md §8).
import { join } from 'node:path';
import { UserError } from '../errors.ts';
import type { Logger } from '../log.ts';
import { parentOf, readLayerEntries, type Inode, type LayerEntry } from './layer-entries.ts';
import type { Layer } from './types.ts';

/** A flattened root filesystem: path (relative, no leading slash) → inode; hard links share an inode. */
export type Rootfs = ReadonlyMap<string, Inode>;

/** Options of flattenLayers. */
export interface FlattenOptions {
  /** The directory where file contents too large for memory wait; it must outlive the Rootfs. */
  readonly spillDir: string;
  readonly log?: Logger;
}

/** Applies `layers`, bottom to top, into one root filesystem. */
export async function flattenLayers(layers: readonly Layer[], options: FlattenOptions): Promise<Rootfs> {
  const tree = new Tree();
  let spilled = 0;
  for (const [index, layer] of layers.entries()) {
    const where = `layer ${index + 1} of ${layers.length}${layer.origin.length > 0 ? ` (${layer.origin.join(', ')})` : ''}`;
    options.log?.progress(`reading ${where}`);
    const entries = await readLayerEntries(layer, where, () => join(options.spillDir, `${index}-${spilled++}`));
    tree.apply(entries, where);
  }
  return tree.nodes;
}

/** The filesystem state while layers are applied: path → inode, plus a child index for deletes. */
class Tree {
  readonly nodes = new Map<string, Inode>();
  private readonly children = new Map<string, Set<string>>();

  apply(entries: readonly LayerEntry[], where: string): void {
    // Whiteouts only hide what lower layers hold, never entries of their own layer (OCI image-spec layer.md).
    for (const entry of entries) {
      if (entry.kind === 'whiteout') this.remove(entry.path);
      else if (entry.kind === 'opaque') for (const child of [...this.children.get(entry.dir) ?? []]) this.remove(child);
    }
    for (const entry of entries) {
      if (entry.kind === 'node') this.add(entry.path, entry.inode);
      else if (entry.kind === 'hardlink') {
        const target = this.nodes.get(entry.target);
        if (target === undefined || target.type === 'directory') {
          throw new UserError('bad-layer', `${where}: hard link ${entry.path} points to ${entry.target}, which ${target ? 'is a directory' : 'does not exist in this or a lower layer'}; the layer is broken`);
        }
        this.add(entry.path, target);
      }
    }
  }

  private add(path: string, inode: Inode): void {
    const existing = this.nodes.get(path);
    // A directory over a directory only changes its metadata; anything else replaces the subtree.
    if (existing !== undefined && !(existing.type === 'directory' && inode.type === 'directory')) this.remove(path);
    this.ensureParents(path);
    this.nodes.set(path, inode);
    const parent = parentOf(path);
    let siblings = this.children.get(parent);
    if (siblings === undefined) this.children.set(parent, siblings = new Set());
    siblings.add(path);
  }

  // A path under a non-directory means the layer turned it into a directory without saying so.
  private ensureParents(path: string): void {
    for (let parent = parentOf(path); parent !== ''; parent = parentOf(parent)) {
      const node = this.nodes.get(parent);
      if (node === undefined || node.type === 'directory') continue;
      this.remove(parent);
      this.add(parent, { ...IMPLICIT_DIRECTORY });
    }
  }

  private remove(path: string): void {
    if (!this.nodes.delete(path)) return;
    this.children.get(parentOf(path))?.delete(path);
    const children = this.children.get(path);
    if (children === undefined) return;
    this.children.delete(path);
    for (const child of children) this.remove(child);
  }
}

const IMPLICIT_DIRECTORY: Inode = {
  type: 'directory', mode: 0o755, uid: 0, gid: 0, uname: '', gname: '', mtime: 0,
  linkname: '', devmajor: 0, devminor: 0, pax: undefined, size: 0, data: undefined,
};
