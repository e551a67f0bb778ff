// The exact bytes of a store layer (format.md §3, §4): `/nix/`, `/nix/store/`, then each store
// path with its whole tree, in the dialect nixpkgs' stream_layered_image produces.
import { createHash } from 'node:crypto';
import { closeSync, lstatSync, readdirSync, readlinkSync, type Stats } from 'node:fs';
import type { Readable } from 'node:stream';
import type { Digest } from '../digest/digest.ts';
import { UserError } from '../errors.ts';
import { ChunkBuffer, ChunkPool, CHUNK_SIZE, type ChunkSupply, describeFsError, openForContent, type ContentSource } from './chunks.ts';
import { FAST_DIRECTORY, FAST_FILE, FAST_SYMLINK, FastHeader } from './fast-header.ts';
import { GeneratorReadable } from './generator-readable.ts';
import { BLOCK_SIZE, encodeHeader, RECORD_SIZE, type TarHeader } from './header.ts';
import { sortLatin1Names } from './name-order.ts';
import { RECORD_DIRECTORY, RECORD_END, RECORD_FILE, RECORD_SYMLINK, WalkReader, WalkRecorder, type RecordKind } from './walk-record.ts';

/** Owner and time written into every entry of a store layer. */
export interface StoreLayerOwnership {
  readonly uid: number;
  readonly gid: number;
  readonly uname: string;
  readonly gname: string;
  /** Unix seconds. */
  readonly mtime: number;
}

/** How to build a store layer. */
export interface StoreLayerOptions extends StoreLayerOwnership {
  /** Directory that stands for `/` when reading: `<root><path>` is read, `<path>` is named. Default `/`. */
  readonly root?: string;
  /** Bytes per emitted chunk; tests lower it to exercise chunk boundaries. */
  readonly chunkSize?: number;
  /** Bytes a plan's recorded walk may take (default RECORD_LIMIT); tests lower it. */
  readonly recordLimit?: number;
}

/** A fresh stream of the store layer tar for `paths` (in list order); fails with a UserError on unsupported files. */
export function storeLayerStream(paths: readonly string[], options: StoreLayerOptions): Readable {
  const pool = new ChunkPool();
  return new GeneratorReadable(storeLayerChunks(paths, options, false, pool), pool);
}

/** Digest and size of the store layer of `paths`, computed in one synchronous pass over the store. */
export function storeLayerDigest(paths: readonly string[], options: StoreLayerOptions): { digest: Digest; size: number } {
  const hash = createHash('sha256');
  let size = 0;
  // One reused chunk: each is hashed before the next read overwrites it.
  for (const chunk of storeLayerChunks(paths, options, true)) {
    hash.update(chunk);
    size += chunk.length;
  }
  return { digest: `sha256:${hash.digest('hex')}` as Digest, size };
}


/**
 * The store layer as a sequence of large chunks; reads the disk lazily as chunks are pulled.
 * With `reuse`, every chunk is the same buffer, valid only until the next one is pulled; with
 * `pool`, chunks handed back to the pool are refilled. With `walk` (a plan's recorded walk of
 * the same paths), the tree's metadata comes from the record instead of lstat and readdir.
 */
export function* storeLayerChunks(paths: readonly string[], options: StoreLayerOptions, reuse = false, pool?: ChunkSupply, walk?: Buffer): Generator<Buffer> {
  const out = new ChunkBuffer(options.chunkSize ?? CHUNK_SIZE, reuse, pool);
  const owner = ownerOf(options);
  const writer = new LayerWriter(out, owner, rootPrefix(options.root ?? '/'));
  const record = walk === undefined ? undefined : new WalkReader(walk);
  // nixpkgs writes these two with fixed names and mode 0755 even for another store dir (format.md §4.1).
  yield* out.put(encodeHeader({ ...owner, name: '/nix/', type: 'directory', mode: 0o755, size: 0 }));
  yield* out.put(encodeHeader({ ...owner, name: '/nix/store/', type: 'directory', mode: 0o755, size: 0 }));
  for (const path of paths) {
    const end = writer.path.setStorePath(storePathName(path));
    if (record === undefined) yield* writer.entry(end, writer.stat(end, true));
    else yield* writer.replay(end, record, record.next());
  }
  yield* out.end();
}

/** What sizing a store layer found: its byte length, and its walk when small enough to keep. */
export interface StoreLayerPlan {
  readonly size: number;
  /** The recorded walk for storeLayerChunks; undefined when it outgrew RECORD_LIMIT. */
  readonly walk: Buffer | undefined;
}

/**
 * Sizes the store layer of `paths` from lstat, readdir and readlink alone: no file is opened.
 * The size is what storeLayerChunks emits as long as the tree does not change (and if a file's
 * size does, storeLayerChunks fails: its header would be wrong).
 */
export function storeLayerPlan(paths: readonly string[], options: StoreLayerOptions): StoreLayerPlan {
  const owner = ownerOf(options);
  const recorder = new WalkRecorder(options.recordLimit);
  const sizer = new LayerSizer(owner, rootPrefix(options.root ?? '/'), recorder);
  let bytes = encodeHeader({ ...owner, name: '/nix/', type: 'directory', mode: 0o755, size: 0 }).length
    + encodeHeader({ ...owner, name: '/nix/store/', type: 'directory', mode: 0o755, size: 0 }).length;
  for (const path of paths) {
    const end = sizer.path.setStorePath(storePathName(path));
    bytes += sizer.entry(end, sizer.stat(end, true), '');
  }
  // Two zero blocks, then padding to a whole record (format.md §3.3).
  return { size: Math.ceil((bytes + 2 * BLOCK_SIZE) / RECORD_SIZE) * RECORD_SIZE, walk: recorder.bytes() };
}

function ownerOf(options: StoreLayerOptions): Owner {
  return { uid: options.uid, gid: options.gid, uname: options.uname, gname: options.gname, mtime: options.mtime };
}

function storePathName(path: string): Buffer {
  if (!path.startsWith('/')) {
    throw new UserError('relative-store-path', `store path ${JSON.stringify(path)} is not absolute; pass full paths such as /nix/store/<hash>-<name>`);
  }
  return Buffer.from(path.replace(/\/+$/, ''), 'utf8');
}

type Owner = Pick<TarHeader, 'uid' | 'gid' | 'uname' | 'gname' | 'mtime'>;

const SLASH = 0x2f;

// `<root><name>` for the entry being written, in one buffer that grows as the walk descends:
// a child's path is its parent's plus `/<child>`, written in place instead of concatenated.
class PathBuffer {
  bytes = Buffer.allocUnsafe(4096);

  constructor(private readonly root: Buffer) {
    root.copy(this.bytes);
  }

  /** Starts a store path; returns the end of its disk path. */
  setStorePath(name: Buffer): number {
    this.ensure(this.root.length + name.length);
    this.bytes.set(name, this.root.length);
    return this.root.length + name.length;
  }

  /** Appends `/<child>` to the path ending at `end`; returns the child's end. */
  child(end: number, child: string): number {
    this.ensure(end + 1 + child.length);
    this.bytes[end] = SLASH;
    this.bytes.write(child, end + 1, 'latin1');
    return end + 1 + child.length;
  }

  /** The path on disk (a view: valid until the path buffer is written again past `end`). */
  disk(end: number): Buffer {
    return this.bytes.subarray(0, end);
  }

  /** The name in the archive (a view, like `disk`). */
  name(end: number): Buffer {
    return this.bytes.subarray(this.root.length, end);
  }

  private ensure(length: number): void {
    if (length <= this.bytes.length) return;
    const bigger = Buffer.allocUnsafe(Math.max(length, this.bytes.length * 2));
    this.bytes.copy(bigger);
    this.bytes = bigger;
  }
}

// What the writer and the sizer share: the path being visited, lstat, sorted listings, header lengths.
class TreeWalk {
  readonly path: PathBuffer;
  protected readonly fast: FastHeader;

  constructor(protected readonly owner: Owner, root: Buffer) {
    this.path = new PathBuffer(root);
    this.fast = new FastHeader(owner);
  }

  stat(end: number, isStorePath: boolean): Stats {
    try {
      return lstatSync(this.path.disk(end));
    } catch (error) {
      const what = isStorePath ? 'store path' : 'file';
      throw new UserError('missing-store-path', `cannot stat ${what} ${this.path.name(end).toString('utf8')}: ${describeFsError(error)}`, { cause: error });
    }
  }

  // Children sorted by code point: depth-first in this order is the component-wise order of
  // format.md §4.1 (a directory's subtree comes before a sibling that merely extends its name).
  protected children(end: number): string[] {
    // Names as latin1 strings: one character per byte, so any name survives the round trip, and
    // a directory of thousands of entries costs thousands of short strings rather than Buffers.
    let children: string[];
    try {
      children = readdirSync(this.path.disk(end), { encoding: 'latin1' });
    } catch (error) {
      throw new UserError('unreadable-directory', `cannot list ${this.path.name(end).toString('utf8')}: ${describeFsError(error)}`, { cause: error });
    }
    sortLatin1Names(children);
    return children;
  }

  protected link(end: number): Buffer {
    return readLink(this.path.disk(end), this.path.name(end));
  }

  protected unsupported(end: number, stats: Stats): UserError {
    return new UserError(
      'unsupported-file-type',
      `${this.path.name(end).toString('utf8')} is a ${kindOf(stats)}; store paths may only contain files, directories and symlinks`,
    );
  }

  // Bytes of an entry's header (pax header included): the fast encoder's count, else the general encoder's.
  protected headerLength(end: number, type: TarHeader['type'], flag: FastType, mode: number, size: number, linkname?: Buffer): number {
    const name = this.path.name(end);
    return this.fast.length(name, flag, size, linkname) || encodeHeader({ ...this.owner, name, type, mode, size, ...(linkname === undefined ? {} : { linkname }) }).length;
  }
}

type FastType = typeof FAST_FILE | typeof FAST_DIRECTORY | typeof FAST_SYMLINK;

// headerInPlace's answer when it wrote nothing.
const NO_ROOM = Symbol('no room');

// Walks the trees and writes their entries. Plain headers are written straight into the chunk.
class LayerWriter extends TreeWalk {
  constructor(private readonly out: ChunkBuffer, owner: Owner, root: Buffer) {
    super(owner, root);
  }

  *entry(end: number, stats: Stats): Generator<Buffer> {
    const mode = stats.mode & 0o7777;
    if (stats.isFile()) {
      yield* this.file(end, mode, stats.size);
    } else if (stats.isDirectory()) {
      yield* this.header(end, 'directory', FAST_DIRECTORY, mode, 0);
      for (const child of this.children(end)) {
        const childEnd = this.path.child(end, child);
        yield* this.entry(childEnd, this.stat(childEnd, false));
      }
    } else if (stats.isSymbolicLink()) {
      yield* this.header(end, 'symlink', FAST_SYMLINK, mode, 0, this.link(end));
    } else {
      throw this.unsupported(end, stats);
    }
  }

  /**
   * `entry` from a recorded walk, for the tree whose root record was just read into `walk`. One
   * loop with a stack of open directories, not a generator per entry: on trees of small files
   * the nested generators (entry, file, header, content, padding) cost about as much as the
   * reads. Entries that fit the chunk take the in-place paths; the rest the general ones.
   */
  *replay(rootEnd: number, walk: WalkReader, rootKind: RecordKind): Generator<Buffer> {
    const open: number[] = [];
    let end = rootEnd;
    let kind = rootKind;
    for (;;) {
      const mode = walk.mode;
      if (kind === RECORD_FILE) {
        const size = walk.size;
        const source = contentSource(this.path, end);
        const fd = openForContent(source);
        try {
          const full = this.headerInPlace(end, FAST_FILE, mode, size);
          if (full === NO_ROOM) yield* this.header(end, 'file', FAST_FILE, mode, size);
          else if (full !== undefined) yield full;
          if (!this.out.smallFile(fd, size, source)) yield* this.out.fileContent(fd, size, source);
        } finally {
          closeSync(fd);
        }
      } else if (kind === RECORD_SYMLINK) {
        const full = this.headerInPlace(end, FAST_SYMLINK, mode, 0, walk.link);
        if (full === NO_ROOM) yield* this.header(end, 'symlink', FAST_SYMLINK, mode, 0, walk.link);
        else if (full !== undefined) yield full;
      } else {
        const full = this.headerInPlace(end, FAST_DIRECTORY, mode, 0);
        if (full === NO_ROOM) yield* this.header(end, 'directory', FAST_DIRECTORY, mode, 0);
        else if (full !== undefined) yield full;
        open.push(end);
      }
      // The next record: a child of the directory opened last, or the end of one.
      for (;;) {
        if (open.length === 0) return;
        const next = walk.next();
        if (next === RECORD_END) {
          open.pop();
          continue;
        }
        end = this.path.child(open[open.length - 1]!, walk.name);
        kind = next;
        break;
      }
    }
  }

  // The fast header written in place when it fits the chunk: the chunk it filled, if it did;
  // NO_ROOM when the entry needs the general encoder or more room (then `header` writes it).
  private headerInPlace(end: number, flag: FastType, mode: number, size: number, linkname?: Buffer): Buffer | undefined | typeof NO_ROOM {
    const name = this.path.name(end);
    const length = this.fast.length(name, flag, size, linkname);
    const into = length === 0 ? undefined : this.out.room(length);
    if (into === undefined) return NO_ROOM;
    this.fast.write(into, this.out.at, length, name, flag, mode, size, linkname);
    return this.out.advance(length);
  }

  // Every name of a hard-linked file is written as a regular file with full content (format.md §4.2).
  private *file(end: number, mode: number, size: number): Generator<Buffer> {
    const source = contentSource(this.path, end);
    const fd = openForContent(source);
    try {
      yield* this.header(end, 'file', FAST_FILE, mode, size);
      yield* this.out.fileContent(fd, size, source);
    } finally {
      closeSync(fd);
    }
  }

  private *header(end: number, type: TarHeader['type'], flag: FastType, mode: number, size: number, linkname?: Buffer): Generator<Buffer> {
    const full = this.headerInPlace(end, flag, mode, size, linkname);
    if (full !== NO_ROOM) {
      if (full !== undefined) yield full;
      return;
    }
    const name = this.path.name(end);
    const length = this.fast.length(name, flag, size, linkname);
    if (length === 0) {
      yield* this.out.put(encodeHeader({ ...this.owner, name, type, mode, size, ...(linkname === undefined ? {} : { linkname }) }));
      return;
    }
    // Too little room left in this chunk: write it aside and let put() split it.
    const aside = Buffer.allocUnsafe(length);
    this.fast.write(aside, 0, length, name, flag, mode, size, linkname);
    yield* this.out.put(aside);
  }
}

// Counts the bytes LayerWriter would emit, from the same walk without opening any file, and
// records the walk for it.
class LayerSizer extends TreeWalk {
  constructor(owner: Owner, root: Buffer, private readonly recorder: WalkRecorder) {
    super(owner, root);
  }

  entry(end: number, stats: Stats, name: string): number {
    const mode = stats.mode & 0o7777;
    if (stats.isFile()) {
      this.recorder.entry(RECORD_FILE, mode, stats.size, name);
      return this.headerLength(end, 'file', FAST_FILE, mode, stats.size) + blocksOf(stats.size);
    }
    if (stats.isSymbolicLink()) {
      const link = this.link(end);
      this.recorder.entry(RECORD_SYMLINK, mode, 0, name, link);
      return this.headerLength(end, 'symlink', FAST_SYMLINK, mode, 0, link);
    }
    if (!stats.isDirectory()) throw this.unsupported(end, stats);
    this.recorder.entry(RECORD_DIRECTORY, mode, 0, name);
    let bytes = this.headerLength(end, 'directory', FAST_DIRECTORY, mode, 0);
    for (const child of this.children(end)) {
      const childEnd = this.path.child(end, child);
      bytes += this.entry(childEnd, this.stat(childEnd, false), child);
    }
    this.recorder.end();
    return bytes;
  }
}

function blocksOf(size: number): number {
  return Math.ceil(size / BLOCK_SIZE) * BLOCK_SIZE;
}

// What fileContent needs to read a file and name it in errors; the label is built only on error.
function contentSource(path: PathBuffer, end: number): ContentSource {
  const diskPath = path.disk(end);
  const name = path.name(end);
  return {
    diskPath,
    get label() {
      return name.toString('utf8');
    },
  };
}

function readLink(disk: Buffer, name: Buffer): Buffer {
  try {
    return readlinkSync(disk, { encoding: 'buffer' });
  } catch (error) {
    throw new UserError('unreadable-file', `cannot read symlink ${name.toString('utf8')}: ${describeFsError(error)}`, { cause: error });
  }
}

function kindOf(stats: Stats): string {
  if (stats.isFIFO()) return 'FIFO';
  if (stats.isSocket()) return 'socket';
  if (stats.isCharacterDevice()) return 'character device';
  if (stats.isBlockDevice()) return 'block device';
  return 'file of unknown type';
}

function rootPrefix(root: string): Buffer {
  const trimmed = root.replace(/\/+$/, '');
  return Buffer.from(trimmed, 'utf8');
}
