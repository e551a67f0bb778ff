// Indexes a docker-archive (format.md §6) without unpacking it: the archive is streamed
// (through a decompressor when needed) to list its members, keep the small ones (the JSON
// members) and note where each member's data starts; later reads rescan or seek to an offset.
import { open as openFile, readdir } from 'node:fs/promises';
import { posix } from 'node:path';
import { PassThrough, type Readable } from 'node:stream';
import tar from 'tar-stream';
import { UserError } from '../errors.ts';
import { decompressedFile, sniffCompression } from '../image/decompress.ts';
import type { LayerCompression } from '../image/types.ts';
import type { JsonValue } from '../json/lossless.ts';

/** tar-stream's header, with the pax records it attaches (extract.js sets `header.pax`). */
export type TarStreamHeader = Omit<tar.Header, 'pax'> & { pax?: Record<string, string> | null };

/** One member's data as tar-stream hands it out (a streamx Readable). */
type EntryData = AsyncIterable<Buffer> & { resume(): unknown; readonly offset: number };

/** What the index pass remembers of a member. */
export interface MemberInfo {
  readonly header: TarStreamHeader;
  /** First bytes of the data (regular files), to detect layer compression. */
  readonly head: Buffer;
  /** The whole data when small enough to keep (JSON members). */
  readonly data: Buffer | undefined;
  /** Where the data starts in the decompressed archive (after the member's last header block). */
  readonly dataOffset: number;
}

/** Members indexed by memberKey(name). */
export type MemberIndex = Map<string, MemberInfo>;

const KEEP_LIMIT = 1 << 20;
const KEEP_TOTAL = 64 << 20;

/** Compression of a file, from its leading bytes. */
export async function detectCompression(path: string): Promise<LayerCompression> {
  const handle = await openFile(path, 'r').catch((error: unknown) => {
    throw new UserError('missing-archive', `${path}: cannot open the image archive (${codeOf(error)}); check the fromImage/IMAGE path`, { cause: error });
  });
  try {
    if ((await handle.stat()).isDirectory()) throw await notAnArchiveDirectory(path);
    const head = Buffer.alloc(6);
    const { bytesRead } = await handle.read(head, 0, 6, 0);
    // A common slip: streamLayeredImage's result is the program that writes the archive.
    if (head.subarray(0, 2).toString('latin1') === '#!') {
      throw new UserError('archive-is-script', `${path}: is a script (such as the stream program streamLayeredImage returns), not a docker-archive; use buildLayeredImage's archive as fromImage, or run the script to write one (\`${path} > image.tar\`)`);
    }
    return sniffCompression(head.subarray(0, bytesRead));
  } finally {
    await handle.close();
  }
}

/**
 * The error for a directory given as the archive: what the directory looks like (an OCI
 * layout, an unpacked docker-archive, a layer directory, a derivation output holding an
 * archive) and how to get the docker-archive file that is expected.
 */
async function notAnArchiveDirectory(path: string): Promise<UserError> {
  const entries = await readdir(path).catch(() => [] as string[]);
  const archives = entries.filter((name) => /\.(tar(\.(gz|zst|xz|bz2))?|tgz)$/.test(name)).sort();
  const [what, fix] = entries.includes('oci-layout')
    ? ['an OCI image layout directory', `convert it with \`skopeo copy oci:${path} docker-archive:image.tar\``]
    : entries.includes('manifest.json')
      ? ['an unpacked docker-archive (a directory holding manifest.json)', `pack it with \`tar -C ${path} -cf image.tar .\``]
      : entries.includes('layer.tar')
        ? ['a single layer\'s directory (layer.tar), not an image', 'give the image built from it (buildImage or buildLayeredImage)']
        : archives.length > 0
          ? [`a directory holding ${archives.join(', ')}`, `give the file itself, e.g. ${posix.join(path, archives[0]!)}`]
          : ['a directory', 'give the image file (e.g. a buildLayeredImage, buildImage or pullImage result, or `docker save` output)'];
  return new UserError('archive-is-directory', `${path}: is ${what}, but a docker-archive file is expected (a tar, possibly gzip/bzip2/xz/zstd-compressed); ${fix}`);
}

/** One pass over the archive: every member's header, first bytes and data offset, and the data of small members. */
export async function indexArchive(path: string, compression: LayerCompression): Promise<MemberIndex> {
  const members: MemberIndex = new Map();
  let kept = 0;
  await scanArchive(path, compression, async (header, entry) => {
    const wantAll = header.type === 'file' && (header.size ?? 0) <= KEEP_LIMIT && kept + (header.size ?? 0) <= KEEP_TOTAL;
    const chunks: Buffer[] = [];
    let length = 0;
    for await (const chunk of entry) {
      const bytes = chunk as Buffer;
      if (wantAll || length < 6) chunks.push(bytes);
      length += bytes.length;
    }
    const all = Buffer.concat(chunks);
    if (wantAll) kept += all.length;
    // The first of duplicate names wins, matching openMember, which stops at the first match.
    const key = memberKey(header.name);
    if (!members.has(key)) {
      members.set(key, { header, head: all.subarray(0, 6), data: wantAll ? all : undefined, dataOffset: entry.offset + 512 });
    }
    return 'continue';
  });
  return members;
}

/** Follows symlink / hard-link members to the regular file holding the content. */
export function resolveMember(members: MemberIndex, name: string, path: string, what: string): MemberInfo {
  let key = memberKey(name);
  for (let hops = 0; hops < 16; hops++) {
    const info = members.get(key);
    if (!info) throw new UserError('missing-member', `${path}: manifest.json names ${what} "${name}", which is not in the archive; the base archive is incomplete`);
    const { type, linkname } = info.header;
    if (type === 'file' || type === 'contiguous-file') return info;
    if ((type !== 'symlink' && type !== 'link') || !linkname) {
      throw new UserError('bad-member', `${path}: ${what} "${name}" is a ${type ?? 'unknown'} entry, not a file`);
    }
    const where = `the link target of ${what} "${name}"`;
    if (linkname.startsWith('/')) {
      throw new UserError('unsafe-member', `${path}: ${where} is the absolute path "${linkname}"; refusing to follow it`);
    }
    const target = type === 'symlink' ? posix.join(posix.dirname(key), linkname) : linkname;
    key = memberKey(checkedMemberName(posix.normalize(target), path, where));
  }
  throw new UserError('bad-member', `${path}: ${what} "${name}" is a chain of more than 16 links`);
}

/** A member name from the manifest, refusing absolute paths and `..` (they could name files outside). */
export function checkedMemberName(value: JsonValue | undefined, path: string, where: string): string {
  if (typeof value !== 'string' || value === '') throw new UserError('bad-manifest', `${path}: ${where} is not a member name`);
  if (value.startsWith('/') || value.split('/').includes('..')) {
    throw new UserError('unsafe-member', `${path}: ${where} "${value}" is an absolute path or contains ".."; refusing to read it`);
  }
  return value;
}

/** Archive names compare without a leading "./". */
function memberKey(name: string): string {
  return posix.normalize(name).replace(/^(\.\/)+/, '');
}

/** A member's whole data: kept by the index pass, or read by scanning the archive again. */
export async function memberData(path: string, compression: LayerCompression, info: MemberInfo, name: string): Promise<Buffer> {
  if (info.data) return info.data;
  const chunks: Buffer[] = [];
  for await (const chunk of openMember(path, compression, info.header.name)) chunks.push(chunk as Buffer);
  if (chunks.length === 0 && (info.header.size ?? 0) > 0) throw new UserError('missing-member', `${path}: cannot re-read ${name}`);
  return Buffer.concat(chunks);
}

/** A stream of one member's data, read by scanning the archive again; scanning stops at the member. */
function openMember(path: string, compression: LayerCompression, memberName: string): Readable {
  const out = new PassThrough();
  let found = false;
  scanArchive(path, compression, async (header, entry) => {
    if (header.name !== memberName) {
      for await (const _chunk of entry) {
        // Skipping another member: its data must still be read through.
      }
      return 'continue';
    }
    found = true;
    for await (const chunk of entry) {
      if (out.destroyed) return 'stop';
      if (!out.write(chunk)) await drained(out);
    }
    out.end();
    return 'stop';
  }).then(
    () => {
      if (!found) out.destroy(new UserError('missing-member', `${path}: member ${memberName} disappeared from the archive; was it modified while reading?`));
    },
    (error: unknown) => out.destroy(error as Error),
  );
  return out;
}

type EntryHandler = (header: TarStreamHeader, entry: EntryData) => Promise<'continue' | 'stop'>;

/** Streams the (decompressed) archive through tar-stream, calling `handle` per member in order. */
async function scanArchive(path: string, compression: LayerCompression, handle: EntryHandler): Promise<void> {
  const source = decompressedFile(path, compression);
  const extract = tar.extract();
  source.on('error', (error) => extract.destroy(error));
  source.pipe(extract);
  try {
    for await (const entry of extract) {
      if ((await handle(entry.header as TarStreamHeader, entry as unknown as EntryData)) === 'stop') break;
    }
  } catch (error) {
    if (error instanceof UserError) throw error;
    if (isPrematureClose(error)) return;
    throw notATar(path, error);
  } finally {
    source.unpipe(extract);
    source.destroy();
  }
}

function isPrematureClose(error: unknown): boolean {
  return (error as { code?: unknown }).code === 'ERR_STREAM_PREMATURE_CLOSE';
}

/** The error for an archive that does not read as a (compressed) tar. */
export function notATar(path: string, cause: unknown): UserError {
  const reason = cause instanceof Error ? cause.message.split('\n')[0] : String(cause);
  return new UserError('not-a-tar', `${path}: cannot read it as a (gzip/bzip2/xz/zstd-compressed) tar archive (${reason}); fromImage must be a docker-archive`, { cause });
}

/** Resolves when `stream` can take more data or has been closed by its reader. */
function drained(stream: PassThrough): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      stream.off('drain', done);
      stream.off('close', done);
      resolve();
    };
    stream.on('drain', done);
    stream.on('close', done);
  });
}

function codeOf(error: unknown): string {
  return error instanceof Error && 'code' in error ? String((error as { code: unknown }).code) : String(error);
}
