// Reads a layer's tar into the entries the OCI layer rules act on (format.md §8): whiteouts
// (`.wh.<name>`), opaque markers (`.wh..wh..opq`), hard links, and nodes with their metadata;
// paths normalised relative to the root, contents small enough kept in memory, larger ones
// spilled to a file.
import { createWriteStream } from 'node:fs';
import { dirname } from 'node:path';
import { pipeline } from 'node:stream/promises';
import tar from 'tar-stream';
import { outputError, UserError } from '../errors.ts';
import { decompressed } from './decompress.ts';
import type { Layer } from './types.ts';

/** The kinds of file a root filesystem holds. */
export type EntryType = 'file' | 'symlink' | 'character-device' | 'block-device' | 'directory' | 'fifo';

/** Metadata shared by every path naming one inode (hard links share it). */
export interface Inode {
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

/** One entry of a layer as read, before the layer is applied. */
export type LayerEntry =
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

/** Reads one layer into entries; file contents go to memory or to `spillPath()`. */
export async function readLayerEntries(layer: Layer, where: string, spillPath: () => string): Promise<LayerEntry[]> {
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

/** The directory holding `path` ('' for the root's children). */
export function parentOf(path: string): string {
  const slash = path.lastIndexOf('/');
  return slash === -1 ? '' : path.slice(0, slash);
}

function join2(dir: string, name: string): string {
  return dir === '' ? name : `${dir}/${name}`;
}
