// Writes an Image as an oci-archive: the OCI layout (oci-layout.ts) as one tar, what `skopeo
// copy oci-archive:` and `podman load` read. A blob's tar header needs its compressed size, so
// the layout is written to a scratch directory in TMPDIR first (removed afterwards, on failure
// and on a signal), then archived in name order with fixed owners, modes and mtime.
import { createReadStream } from 'node:fs';
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { removeOnInterrupt } from '../cleanup.ts';
import type { Digest } from '../digest/digest.ts';
import { outputError } from '../errors.ts';
import type { Image } from '../image/types.ts';
import { encodeHeader, endOfArchive, paddingFor, type TarHeader } from '../tar/header.ts';
import { readerGone } from './docker-archive.ts';
import { writeLayoutInto, type OciLayoutOptions } from './oci-layout.ts';

/** Streams `image` as an oci-archive into `output` (ended when done); returns the manifest digest. */
export async function writeOciArchive(image: Image, output: Writable, options: Omit<OciLayoutOptions, 'digestFile'> & { readonly mtime: number }): Promise<Digest> {
  const scratch = await mkdtemp(join(tmpdir(), 'nix-strata-oci-'));
  const guard = removeOnInterrupt(scratch);
  try {
    const digest = await writeLayoutInto(image, scratch, options).catch((error: unknown) => {
      throw outputError(error, `a temporary file in ${tmpdir()} (TMPDIR)`);
    });
    await pipeline(Readable.from(archiveOf(scratch, options.mtime)), output).catch((error: unknown) => {
      throw readerGone(error);
    });
    return digest;
  } finally {
    await rm(scratch, { recursive: true, force: true });
    guard.release();
  }
}

/** The tar of directory `root`: entries sorted by name, directories 0755 and files 0644, owner 0:0. */
async function* archiveOf(root: string, mtime: number): AsyncGenerator<Buffer> {
  let offset = 0;
  const emit = (bytes: Buffer) => { offset += bytes.length; return bytes; };
  for (const name of await entries(root, '')) {
    const path = join(root, name);
    const info = await stat(path);
    const directory = info.isDirectory();
    const header: TarHeader = {
      name: directory ? `${name}/` : name, type: directory ? 'directory' : 'file', mode: directory ? 0o755 : 0o644,
      uid: 0, gid: 0, uname: '', gname: '', size: directory ? 0 : info.size, mtime,
    };
    yield emit(encodeHeader(header));
    if (directory) continue;
    for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) yield emit(chunk as Buffer);
    yield emit(paddingFor(info.size));
  }
  yield emit(endOfArchive(offset));
}

async function entries(root: string, prefix: string): Promise<string[]> {
  const names: string[] = [];
  const children = await readdir(join(root, prefix), { withFileTypes: true });
  for (const child of children.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    const name = prefix === '' ? child.name : `${prefix}/${child.name}`;
    names.push(name);
    if (child.isDirectory()) names.push(...await entries(root, name));
  }
  return names;
}
