// exportImage: flattens an image's layers, bottom to top, into one root filesystem tar,
// applying the OCI layer rules: later entries replace earlier ones, `.wh.<name>` deletes,
// `.wh..wh..opq` hides everything lower layers put in its directory (format.md §8).
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Readable, Writable } from 'node:stream';
import tar from 'tar-stream';
import { removeOnInterrupt } from '../cleanup.ts';
import { outputError, UserError } from '../errors.ts';
import { decompressed } from '../image/decompress.ts';
import type { Image, Layer } from '../image/types.ts';
import type { Logger } from '../log.ts';
import { readDockerArchive } from '../sources/docker-archive.ts';
import { openOutput } from './output.ts';

/** Options for flattening. */
export interface ExportRootfsOptions {
  /** Where file contents wait until the output is written (default: a fresh directory under the OS temp dir). */
  readonly tmpDir?: string;
  readonly log?: Logger;
}

/** A source of layers: an image, or its layers bottom to top. */
export type LayerSource = Image | readonly Layer[];

type EntryType = 'file' | 'symlink' | 'character-device' | 'block-device' | 'directory' | 'fifo';

// Metadata shared by every path naming one inode (hard links share it).
interface Inode {
  readonly type: EntryType;
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
  readonly uname: string;
  readonly gname: string;
  readonly mtime: number;
  readonly linkname: string;
  readonly devmajor: number;
  readonly devminor: number;
  readonly pax: Readonly<Record<string, string>> | undefined;
  readonly size: number;
  readonly data: Buffer | { readonly file: string } | undefined;
}

// One entry of a layer as read, before the layer is applied.
type LayerEntry =
  | { readonly kind: 'whiteout'; readonly path: string }
  | { readonly kind: 'opaque'; readonly dir: string }
  | { readonly kind: 'hardlink'; readonly path: string; readonly target: string }
  | { readonly kind: 'node'; readonly path: string; readonly inode: Inode };

const WHITEOUT = '.wh.';
const OPAQUE = '.wh..wh..opq';
// Contents up to this size stay in memory; larger ones wait in the temporary directory.
const IN_MEMORY_LIMIT = 64 * 1024;
// pax records worth keeping: extended attributes. Path, size, times and ids are re-encoded.
const KEPT_PAX = /^(?:SCHILY\.xattr\.|LIBARCHIVE\.xattr\.)/;

/** Writes the flattened root filesystem of `source` to `output` as one tar, entries sorted by path. */
export async function exportRootfs(source: LayerSource, output: Writable, options: ExportRootfsOptions = {}): Promise<void> {
  const layers = isImage(source) ? source.layers : source;
  const ownTmp = options.tmpDir === undefined;
  const tmp = options.tmpDir ?? await mkdtemp(join(tmpdir(), 'nix-strata-export-'));
  const guard = ownTmp ? removeOnInterrupt(tmp) : undefined;
  try {
    const tree = new Tree();
    let spilled = 0;
    for (const [index, layer] of layers.entries()) {
      const where = `layer ${index + 1} of ${layers.length}${layer.origin.length > 0 ? ` (${layer.origin.join(', ')})` : ''}`;
      options.log?.progress(`reading ${where}`);
      const entries = await readLayer(layer, where, () => join(tmp, `${index}-${spilled++}`));
      tree.apply(entries, where);
    }
    await writeTree(tree, output);
  } finally {
    if (ownTmp) await rm(tmp, { recursive: true, force: true });
    guard?.release();
  }
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

// Reads one layer into entries; file contents go to memory or to `spillPath()`.
async function readLayer(layer: Layer, where: string, spillPath: () => string): Promise<LayerEntry[]> {
  const entries: LayerEntry[] = [];
  const extract = tar.extract();
  const input = await decompressed(layer.open(), where);
  const feeding = pipeline(input, extract);
  const reading = (async () => {
    for await (const entry of extract) {
      const header = entry.header;
      const path = normalise(header.name, where);
      const parsed = path === '' ? undefined : await toEntry(header, path, entry, where, spillPath);
      if (parsed !== undefined) entries.push(parsed);
      entry.resume();
    }
  })();
  try {
    await Promise.all([feeding, reading]);
  } catch (error) {
    if (error instanceof UserError) throw error;
    throw new UserError('bad-layer', `${where}: not a readable tar (${(error as Error).message}); is the image archive complete?`, { cause: error });
  }
  return entries;
}

async function toEntry(header: tar.Header, path: string, body: AsyncIterable<unknown>, where: string, spillPath: () => string): Promise<LayerEntry | undefined> {
  const base = path.slice(path.lastIndexOf('/') + 1);
  if (base === OPAQUE) return { kind: 'opaque', dir: parentOf(path) };
  if (base.startsWith(WHITEOUT)) {
    const name = base.slice(WHITEOUT.length);
    if (name === '' || name === '.' || name === '..') throw new UserError('bad-layer', `${where}: invalid whiteout ${path}`);
    return { kind: 'whiteout', path: join2(parentOf(path), name) };
  }
  const type = header.type === 'contiguous-file' ? 'file' : header.type;
  if (type === 'link') return { kind: 'hardlink', path, target: normalise(header.linkname ?? '', `${where}: hard link ${path}`) };
  if (type !== 'file' && type !== 'symlink' && type !== 'directory' && type !== 'character-device' && type !== 'block-device' && type !== 'fifo') {
    throw new UserError('bad-layer', `${where}: ${path} has unsupported tar entry type ${String(header.type)}`);
  }
  const size = type === 'file' ? header.size ?? 0 : 0;
  let data: Inode['data'];
  if (type === 'file') {
    if (size <= IN_MEMORY_LIMIT) {
      const chunks: Buffer[] = [];
      for await (const chunk of body) chunks.push(chunk as Buffer);
      data = Buffer.concat(chunks);
    } else {
      const file = spillPath();
      const spill = createWriteStream(file);
      let spillFailure: unknown;
      spill.once('error', (error) => { spillFailure = error; });
      await pipeline(body, spill).catch((error: unknown) => {
        // A full temporary directory is not a broken layer: say where the space ran out.
        throw spillFailure === undefined ? error : outputError(spillFailure, `a temporary file in ${dirname(file)} (TMPDIR)`);
      });
      data = { file };
    }
  }
  const pax = header.pax as Record<string, string> | null | undefined;
  const kept = pax ? Object.fromEntries(Object.entries(pax).filter(([key]) => KEPT_PAX.test(key)).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : {};
  return {
    kind: 'node',
    path,
    inode: {
      type,
      mode: (header.mode ?? 0) & 0o7777,
      uid: header.uid ?? 0,
      gid: header.gid ?? 0,
      uname: header.uname ?? '',
      gname: header.gname ?? '',
      mtime: Math.floor((header.mtime?.getTime() ?? 0) / 1000),
      linkname: type === 'symlink' ? header.linkname ?? '' : '',
      devmajor: header.devmajor ?? 0,
      devminor: header.devminor ?? 0,
      pax: Object.keys(kept).length > 0 ? kept : undefined,
      size,
      data,
    },
  };
}

// Writes the tree sorted by path bytes; the first path of a hard-linked inode carries the data.
async function writeTree(tree: Tree, output: Writable): Promise<void> {
  const paths = [...tree.nodes.keys()].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  const firstPath = new Map<Inode, string>();
  const pack = tar.pack();
  const writing = pipeline(pack, output);
  // A failing output (disk full) rejects `writing` while an entry is being added: that entry
  // then fails too, so the rejection is handled and the loop stops at once.
  const add = (header: Partial<tar.Header> & { name: string }, body?: Buffer | Readable): Promise<void> =>
    Promise.race([writing, addEntry(header, body)]);
  const addEntry = (header: Partial<tar.Header> & { name: string }, body?: Buffer | Readable): Promise<void> =>
    new Promise((resolve, reject) => {
      if (body === undefined) {
        pack.entry(header, (error) => (error ? reject(error) : resolve()));
      } else if (Buffer.isBuffer(body)) {
        pack.entry(header, body, (error) => (error ? reject(error) : resolve()));
      } else {
        const sink = pack.entry(header, (error) => (error ? reject(error) : resolve()));
        pipeline(body, sink as unknown as Writable).catch(reject);
      }
    });
  try {
    for (const path of paths) {
      const inode = tree.nodes.get(path)!;
      const common = {
        mode: inode.mode, uid: inode.uid, gid: inode.gid, uname: inode.uname, gname: inode.gname,
        mtime: new Date(inode.mtime * 1000), ...(inode.pax ? { pax: inode.pax } : {}),
      };
      const first = firstPath.get(inode);
      if (first !== undefined) {
        await add({ ...common, name: path, type: 'link', linkname: first, size: 0 });
        continue;
      }
      firstPath.set(inode, path);
      switch (inode.type) {
        case 'directory':
          await add({ ...common, name: `${path}/`, type: 'directory', size: 0 });
          break;
        case 'file':
          await add({ ...common, name: path, type: 'file', size: inode.size },
            Buffer.isBuffer(inode.data) ? inode.data : inode.data === undefined ? Buffer.alloc(0) : createReadStream(inode.data.file));
          break;
        case 'symlink':
          await add({ ...common, name: path, type: 'symlink', linkname: inode.linkname, size: 0 });
          break;
        default:
          await add({ ...common, name: path, type: inode.type, devmajor: inode.devmajor, devminor: inode.devminor, size: 0 });
      }
    }
    pack.finalize();
  } catch (error) {
    pack.destroy(error as Error);
    await writing.catch(() => undefined);
    throw error;
  }
  await writing;
}

// Layer paths are relative to the root: `./a/b`, `/a/b/` and `a//b` all mean `a/b`.
function normalise(name: string, where: string): string {
  const parts: string[] = [];
  for (const part of name.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') throw new UserError('bad-layer', `${where}: entry ${JSON.stringify(name)} escapes the root with ".."; the layer is unsafe`);
    parts.push(part);
  }
  return parts.join('/');
}

function parentOf(path: string): string {
  const slash = path.lastIndexOf('/');
  return slash === -1 ? '' : path.slice(0, slash);
}

function join2(dir: string, name: string): string {
  return dir === '' ? name : `${dir}/${name}`;
}

function isImage(source: LayerSource): source is Image {
  return !Array.isArray(source) && 'rawConfig' in source;
}

/** `nix-strata export`: flattens the image in a docker-archive file into a rootfs tar file. */
export async function exportImageArchive(options: { readonly image: string; readonly output: string; readonly log?: Logger }): Promise<void> {
  const image = await readDockerArchive(options.image);
  const output = openOutput({ path: options.output, compressor: 'none' });
  try {
    await exportRootfs(image.layers, output.stream, options.log ? { log: options.log } : {});
    await output.finish();
  } catch (error) {
    await output.abort();
    // A system error here is the output's (disk full, I/O error): name the file asked for.
    throw outputError(error, options.output);
  }
}
