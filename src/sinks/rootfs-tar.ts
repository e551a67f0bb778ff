// The rootfs-tar sink: writes an image's flattened root filesystem (image/flatten.ts) as one
// tar, entries sorted by path bytes, the first path of a hard-linked inode carrying the data.
import { createReadStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Readable, Writable } from 'node:stream';
import tar from 'tar-stream';
import { removeOnInterrupt } from '../cleanup.ts';
import { flattenLayers, type Rootfs } from '../image/flatten.ts';
import type { Inode } from '../image/layer-entries.ts';
import type { Image, Layer } from '../image/types.ts';
import type { Logger } from '../log.ts';

/** Options for flattening. */
export interface ExportRootfsOptions {
  /** Where file contents wait until the output is written (default: a fresh directory under the OS temp dir). */
  readonly tmpDir?: string;
  readonly log?: Logger;
}

/** A source of layers: an image, or its layers bottom to top. */
export type LayerSource = Image | readonly Layer[];

/** Writes the flattened root filesystem of `source` to `output` as one tar, entries sorted by path. */
export async function exportRootfs(source: LayerSource, output: Writable, options: ExportRootfsOptions = {}): Promise<void> {
  const layers = isImage(source) ? source.layers : source;
  const ownTmp = options.tmpDir === undefined;
  const tmp = options.tmpDir ?? await mkdtemp(join(tmpdir(), 'nix-strata-export-'));
  const guard = ownTmp ? removeOnInterrupt(tmp) : undefined;
  try {
    const rootfs = await flattenLayers(layers, { spillDir: tmp, ...(options.log ? { log: options.log } : {}) });
    await writeRootfs(rootfs, output);
  } finally {
    if (ownTmp) await rm(tmp, { recursive: true, force: true });
    guard?.release();
  }
}

// Writes the tree sorted by path bytes; the first path of a hard-linked inode carries the data.
async function writeRootfs(rootfs: Rootfs, output: Writable): Promise<void> {
  const paths = [...rootfs.keys()].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
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
      const inode = rootfs.get(path)!;
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

function isImage(source: LayerSource): source is Image {
  return !Array.isArray(source) && 'rawConfig' in source;
}
