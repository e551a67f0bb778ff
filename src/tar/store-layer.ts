// The exact bytes of a store layer (format.md §3, §4): `/nix/`, `/nix/store/`, then each store
// path with its whole tree, in the dialect nixpkgs' stream_layered_image produces.
import { closeSync, lstatSync, readdirSync, readlinkSync, type Stats } from 'node:fs';
import type { Readable } from 'node:stream';
import { UserError } from '../errors.ts';
import { ChunkBuffer, CHUNK_SIZE, describeFsError, openForContent } from './chunks.ts';
import { GeneratorReadable } from './generator-readable.ts';
import { encodeHeader, type TarHeader } from './header.ts';
import { compareNames } from './name-order.ts';

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
}

const SLASH = Buffer.from('/');

/** A fresh stream of the store layer tar for `paths` (in list order); fails with a UserError on unsupported files. */
export function storeLayerStream(paths: readonly string[], options: StoreLayerOptions): Readable {
  return new GeneratorReadable(storeLayerChunks(paths, options));
}

/** The store layer as a sequence of large chunks; reads the disk lazily as chunks are pulled. */
export function* storeLayerChunks(paths: readonly string[], options: StoreLayerOptions): Generator<Buffer> {
  const out = new ChunkBuffer(options.chunkSize ?? CHUNK_SIZE);
  const owner = { uid: options.uid, gid: options.gid, uname: options.uname, gname: options.gname, mtime: options.mtime };
  // nixpkgs writes these two with fixed names and mode 0755 even for another store dir (format.md §4.1).
  yield* out.put(encodeHeader({ ...owner, name: '/nix/', type: 'directory', mode: 0o755, size: 0 }));
  yield* out.put(encodeHeader({ ...owner, name: '/nix/store/', type: 'directory', mode: 0o755, size: 0 }));
  const root = rootPrefix(options.root ?? '/');
  for (const path of paths) {
    if (!path.startsWith('/')) {
      throw new UserError('relative-store-path', `store path ${JSON.stringify(path)} is not absolute; pass full paths such as /nix/store/<hash>-<name>`);
    }
    const name = Buffer.from(path.replace(/\/+$/, ''), 'utf8');
    const disk = root.length === 0 ? name : Buffer.concat([root, name]);
    const stats = statEntry(disk, name, true);
    yield* writeEntry(out, owner, name, disk, stats);
  }
  yield* out.end();
}

type Owner = Pick<TarHeader, 'uid' | 'gid' | 'uname' | 'gname' | 'mtime'>;

function* writeEntry(out: ChunkBuffer, owner: Owner, name: Buffer, disk: Buffer, stats: Stats): Generator<Buffer> {
  const mode = stats.mode & 0o7777;
  if (stats.isSymbolicLink()) {
    yield* out.put(encodeHeader({ ...owner, name, type: 'symlink', mode, size: 0, linkname: readLink(disk, name) }));
  } else if (stats.isDirectory()) {
    yield* out.put(encodeHeader({ ...owner, name, type: 'directory', mode, size: 0 }));
    yield* writeChildren(out, owner, name, disk);
  } else if (stats.isFile()) {
    // Every name of a hard-linked file is written as a regular file with full content (format.md §4.2).
    const label = name.toString('utf8');
    const size = stats.size;
    const fd = openForContent({ diskPath: disk, label });
    try {
      yield* out.put(encodeHeader({ ...owner, name, type: 'file', mode, size }));
      yield* out.fileContent(fd, size, { diskPath: disk, label });
    } finally {
      closeSync(fd);
    }
  } else {
    throw new UserError(
      'unsupported-file-type',
      `${name.toString('utf8')} is a ${kindOf(stats)}; store paths may only contain files, directories and symlinks`,
    );
  }
}

// Depth-first with children sorted by code point: this is the component-wise order of format.md
// §4.1 (a directory's subtree comes before a sibling that merely extends its name).
function* writeChildren(out: ChunkBuffer, owner: Owner, name: Buffer, disk: Buffer): Generator<Buffer> {
  let children: Buffer[];
  try {
    children = readdirSync(disk, { encoding: 'buffer' });
  } catch (error) {
    throw new UserError('unreadable-directory', `cannot list ${name.toString('utf8')}: ${describeFsError(error)}`, { cause: error });
  }
  children.sort(compareNames);
  for (const child of children) {
    const childName = Buffer.concat([name, SLASH, child]);
    const childDisk = Buffer.concat([disk, SLASH, child]);
    yield* writeEntry(out, owner, childName, childDisk, statEntry(childDisk, childName, false));
  }
}

function statEntry(disk: Buffer, name: Buffer, isStorePath: boolean): Stats {
  try {
    return lstatSync(disk);
  } catch (error) {
    const what = isStorePath ? 'store path' : 'file';
    throw new UserError('missing-store-path', `cannot stat ${what} ${name.toString('utf8')}: ${describeFsError(error)}`, { cause: error });
  }
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
