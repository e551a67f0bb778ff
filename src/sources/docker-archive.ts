// Reads a `fromImage` docker-archive (format.md §6) without unpacking it: the archive is
// streamed (through a decompressor when needed) once to index it. Base layers are then read
// at their offsets: in the archive itself when it is uncompressed; for a compressed one, in an
// uncompressed copy made the first time a layer is opened (decompressing once per process,
// not once per layer), kept in os.tmpdir() and removed by dispose() or at exit.
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, rmSync } from 'node:fs';
import { mkdtemp, open as openFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, posix } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { PassThrough, Readable, Transform, type TransformCallback } from 'node:stream';
import tar from 'tar-stream';
import { digestOf, parseDigest, type Digest } from '../digest/digest.ts';
import { removeOnInterrupt } from '../cleanup.ts';
import { UserError } from '../errors.ts';
import type { BaseImage } from '../image/assemble.ts';
import { decompressed, decompressedFile, sniffCompression } from '../image/decompress.ts';
import type { ArchiveMember, Layer, LayerCompression } from '../image/types.ts';
import { isJsonObject, parseLossless, type JsonValue } from '../json/lossless.ts';

/** A base image read from a docker-archive. */
export interface DockerArchiveImage extends BaseImage {
  /** The archive's path, for messages. */
  readonly path: string;
  /** Compression of the archive file itself. */
  readonly compression: LayerCompression;
  /** `config.Env` of the base (empty when absent), for the Env merge. */
  readonly env: readonly string[];
  /** The manifest's first entry `Config` member name. */
  readonly configMember: string;
  /** The base config's exact bytes (its sha256 is the base image ID). */
  readonly rawConfig: Buffer;
  /** The manifest's first entry `RepoTags` (empty when absent). */
  readonly repoTags: readonly string[];
  /** How many images (manifest.json entries) the archive holds; `entry` chooses the one read. */
  readonly entryCount: number;
  /** Removes the uncompressed copy of a compressed archive, if one was made (a later open() makes it again). */
  dispose(): Promise<void>;
}

/** Options of readDockerArchive. */
export interface ReadDockerArchiveOptions {
  /** Where the uncompressed copy of a compressed archive goes (default os.tmpdir(), the build directory in Nix builds). */
  readonly tmpDir?: string;
  /** Which manifest.json entry (image) to read; default 0, the first, as fromImage uses. */
  readonly entry?: number;
}

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

/** tar-stream's header, with the pax records it attaches (extract.js sets `header.pax`). */
type TarStreamHeader = Omit<tar.Header, 'pax'> & { pax?: Record<string, string> | null };

/** One member's data as tar-stream hands it out (a streamx Readable). */
type EntryData = AsyncIterable<Buffer> & { resume(): unknown; readonly offset: number };

/** What the index pass remembers of a member. */
interface MemberInfo {
  readonly header: TarStreamHeader;
  /** First bytes of the data (regular files), to detect layer compression. */
  readonly head: Buffer;
  /** The whole data when small enough to keep (JSON members). */
  readonly data: Buffer | undefined;
  /** Where the data starts in the decompressed archive (after the member's last header block). */
  readonly dataOffset: number;
}

const KEEP_LIMIT = 1 << 20;
const KEEP_TOTAL = 64 << 20;

/** Reads manifest.json[0], its config and layer headers; layers stream from the archive on demand. */
export async function readDockerArchive(path: string, options: ReadDockerArchiveOptions = {}): Promise<DockerArchiveImage> {
  const compression = await detectCompression(path);
  const copy = compression === 'none' ? undefined : new PlainCopy(path, compression, options.tmpDir ?? tmpdir());
  const members = new Map<string, MemberInfo>();
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

  const manifestMember = members.get('manifest.json');
  if (!manifestMember) {
    throw new UserError('no-manifest', `${path}: no manifest.json in the archive; fromImage must be a docker-archive (docker save, buildLayeredImage, skopeo docker-archive:)`);
  }
  const manifest = parseLossless((await memberData(path, compression, manifestMember, 'manifest.json')).toString('utf8'), `${path}: manifest.json`);
  const at = options.entry ?? 0;
  const entry = Array.isArray(manifest) ? manifest[at] : undefined;
  if (!isJsonObject(entry)) throw new UserError('bad-manifest', `${path}: manifest.json is not a non-empty list of image entries`);
  const configMember = checkedMemberName(entry['Config'], path, `manifest.json[${at}].Config`);
  const layerNames = Array.isArray(entry['Layers']) ? entry['Layers'] : undefined;
  if (!layerNames) throw new UserError('bad-manifest', `${path}: manifest.json[${at}].Layers is not a list`);
  const names = layerNames.map((name, index) => checkedMemberName(name, path, `manifest.json[${at}].Layers[${index}]`));

  const configInfo = resolveMember(members, configMember, path, 'Config');
  const rawConfig = await memberData(path, compression, configInfo, configMember);
  const config = parseLossless(rawConfig.toString('utf8'), `${path}: ${configMember}`);
  const rootfs = isJsonObject(config) ? config['rootfs'] : undefined;
  const rawDiffIds = isJsonObject(rootfs) && Array.isArray(rootfs['diff_ids']) ? rootfs['diff_ids'] : [];
  const diffIds = rawDiffIds.map((value, index) => parseDigest(value, `${path}: ${configMember} rootfs.diff_ids[${index}]`));
  if (diffIds.length !== names.length) {
    throw new UserError('layers-mismatch', `${path}: manifest.json lists ${names.length} layers but ${configMember} has ${diffIds.length} rootfs.diff_ids; the base archive is inconsistent, re-export it`);
  }
  const layers = names.map((name, index) =>
    baseLayer(path, copy, name, resolveMember(members, name, path, `Layers[${index}]`), diffIds[index]!));
  const tags = Array.isArray(entry['RepoTags']) ? entry['RepoTags'].filter((tag): tag is string => typeof tag === 'string') : [];
  return {
    path, compression, layers, diffIds, config, env: baseEnv(config), configMember, rawConfig, repoTags: tags,
    entryCount: (manifest as unknown[]).length,
    dispose: async () => { await copy?.dispose(); },
  };
}

/** One making of a PlainCopy, with what stops and removes it. */
interface CopyAttempt {
  readonly abort: AbortController;
  file?: Promise<string>;
  dir?: string;
  release?: () => void;
}

/**
 * The uncompressed copy of a compressed archive, made on first use: its member offsets are
 * those the index pass saw in the decompressed stream. Streamed to disk, so memory stays
 * bounded; removed by dispose(), on SIGINT/SIGTERM (removeOnInterrupt) and at process exit.
 */
class PlainCopy {
  #current: CopyAttempt | undefined;
  readonly #removeAtExit = () => {
    if (this.#current?.dir !== undefined) rmSync(this.#current.dir, { recursive: true, force: true });
  };

  constructor(readonly path: string, readonly compression: LayerCompression, readonly tmpDir: string) {}

  /** The copy's path, decompressing the archive the first time. */
  file(): Promise<string> {
    let attempt = this.#current;
    if (!attempt) {
      attempt = { abort: new AbortController() };
      attempt.file = this.#make(attempt);
      this.#current = attempt;
    }
    return attempt.file!;
  }

  async #make(attempt: CopyAttempt): Promise<string> {
    const dir = await mkdtemp(join(this.tmpDir, 'nix-strata-base-'));
    attempt.dir = dir;
    attempt.release = removeOnInterrupt(dir).release;
    process.once('exit', this.#removeAtExit);
    const file = join(dir, 'archive.tar');
    try {
      await pipeline(decompressedFile(this.path, this.compression), createWriteStream(file), { signal: attempt.abort.signal });
    } catch (error) {
      if (this.#current === attempt) this.#current = undefined;
      await this.#remove(attempt);
      if (error instanceof UserError || attempt.abort.signal.aborted) throw error;
      throw notATar(this.path, error);
    }
    return file;
  }

  /** Removes the copy (stopping one being made); the next file() makes a new one. */
  async dispose(): Promise<void> {
    const attempt = this.#current;
    if (!attempt) return;
    this.#current = undefined;
    attempt.abort.abort();
    await attempt.file?.catch(() => undefined);
    await this.#remove(attempt);
  }

  async #remove(attempt: CopyAttempt): Promise<void> {
    const dir = attempt.dir;
    if (dir === undefined) return;
    attempt.dir = undefined;
    attempt.release?.();
    process.off('exit', this.#removeAtExit);
    await rm(dir, { recursive: true, force: true });
  }
}

/** The Layer of one base member: original name and header, bytes read at its offset. */
function baseLayer(path: string, copy: PlainCopy | undefined, name: string, info: MemberInfo, diffId: Digest): Layer {
  const layerCompression = sniffCompression(info.head);
  const size = info.header.size ?? 0;
  // An uncompressed archive is read at the member's offset; a compressed one, at the same
  // offset in its uncompressed copy (made once, on the first open).
  const raw = (): Readable => {
    if (size === 0) return Readable.from([]);
    if (!copy) return createReadStream(path, { start: info.dataOffset, end: info.dataOffset + size - 1 });
    const out = new PassThrough();
    copy.file().then((file) => {
      if (out.destroyed) return;
      const source = createReadStream(file, { start: info.dataOffset, end: info.dataOffset + size - 1 });
      source.on('error', (error) => out.destroy(error));
      out.on('close', () => source.destroy());
      source.pipe(out);
    }, (error: unknown) => out.destroy(error as Error));
    return out;
  };
  // The diff_id is announced before the bytes are copied, so every copy is checked against it.
  const open = () => verifiedAgainstDiffId(raw(), layerCompression, diffId, `${path}: base layer ${name}`);
  let digest: Promise<Digest> | undefined;
  return {
    compression: layerCompression,
    kind: 'base',
    origin: [name],
    archiveMember: archiveMemberOf(name, info),
    diffId: async () => diffId,
    digest() {
      // Uncompressed: the blob is the tar, so its digest is the (trusted) diff_id.
      if (layerCompression === 'none') return Promise.resolve(diffId);
      digest ??= digestOf(open()).then((result) => result.digest);
      return digest;
    },
    size: async () => size,
    open,
  };
}

/** Header metadata carried over (format.md §1.2): everything but name, size and type. */
function archiveMemberOf(name: string, info: MemberInfo): ArchiveMember {
  const h = info.header;
  const pax: Array<[string, string]> = [];
  for (const [key, value] of Object.entries(h.pax ?? {})) {
    // path names the member we read (maybe a symlink's target); the copy keeps the listed name.
    if (key === 'path') pax.push([key, name]);
    else if (key !== 'linkpath') pax.push([key, value]);
  }
  return {
    name,
    header: {
      mode: h.mode ?? 0o644,
      uid: h.uid ?? 0,
      gid: h.gid ?? 0,
      uname: h.uname ?? '',
      gname: h.gname ?? '',
      mtime: Math.floor((h.mtime?.getTime() ?? 0) / 1000),
      ...(pax.length > 0 ? { pax } : {}),
    },
  };
}

/** Follows symlink / hard-link members to the regular file holding the content. */
function resolveMember(members: Map<string, MemberInfo>, name: string, path: string, what: string): MemberInfo {
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
function checkedMemberName(value: JsonValue | undefined, path: string, where: string): string {
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

async function memberData(path: string, compression: LayerCompression, info: MemberInfo, name: string): Promise<Buffer> {
  if (info.data) return info.data;
  const chunks: Buffer[] = [];
  for await (const chunk of openMember(path, compression, info.header.name)) chunks.push(chunk as Buffer);
  if (chunks.length === 0 && (info.header.size ?? 0) > 0) throw new UserError('missing-member', `${path}: cannot re-read ${name}`);
  return Buffer.concat(chunks);
}

/** A stream of one member's data, read by scanning the archive again; scanning stops at the member. */
export function openMember(path: string, compression: LayerCompression, memberName: string): Readable {
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

function notATar(path: string, cause: unknown): UserError {
  const reason = cause instanceof Error ? cause.message.split('\n')[0] : String(cause);
  return new UserError('not-a-tar', `${path}: cannot read it as a (gzip/bzip2/xz/zstd-compressed) tar archive (${reason}); fromImage must be a docker-archive`, { cause });
}

function baseEnv(config: JsonValue): string[] {
  const inner = isJsonObject(config) ? config['config'] : undefined;
  const env = isJsonObject(inner) ? inner['Env'] : undefined;
  return Array.isArray(env) ? env.filter((item): item is string => typeof item === 'string') : [];
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

/**
 * Passes a base member's bytes through unchanged and fails at the end, before the copy is
 * complete, when their uncompressed sha256 is not the config's diff_id (Docker would reject
 * the image on load; better to say which member is wrong now). Uncompressed members cost one
 * hash of bytes copied anyway; compressed ones are also decompressed alongside the copy.
 */
function verifiedAgainstDiffId(source: Readable, compression: LayerCompression, expected: Digest, what: string): Readable {
  const hash = createHash('sha256');
  // For a compressed member, the copied bytes also feed a decompressor whose output is hashed.
  let feed: PassThrough | undefined;
  let plainDone: Promise<void> = Promise.resolve();
  if (compression !== 'none') {
    const input = new PassThrough();
    feed = input;
    plainDone = decompressed(input, what).then((plain) => new Promise<void>((resolve, reject) => {
      plain.on('data', (chunk: Buffer) => hash.update(chunk));
      plain.once('end', resolve);
      plain.once('error', reject);
    }));
    // Rejections are reported from flush; until then this keeps them from going unhandled.
    plainDone.catch(ignoreUntilFlush);
  }
  const check = new Transform({
    transform(chunk: Buffer, _encoding, callback: TransformCallback) {
      if (!feed) {
        hash.update(chunk);
        callback(null, chunk);
      } else if (feed.write(chunk)) {
        callback(null, chunk);
      } else {
        feed.once('drain', () => callback(null, chunk));
      }
    },
    flush(callback: TransformCallback) {
      feed?.end();
      plainDone.then(() => {
        const actual = `sha256:${hash.digest('hex')}`;
        if (actual === expected) return callback();
        callback(new UserError('base-diff-id-mismatch', `${what}: its content hashes to ${actual} but the base config's rootfs.diff_ids says ${expected}; the base archive is corrupt or was modified, re-export it`));
      }, (error: unknown) => {
        const reason = error instanceof Error ? error.message.split('\n')[0] : String(error);
        callback(new UserError('base-layer-corrupt', `${what}: cannot decompress it to check its diff_id ${expected} (${reason}); the base archive is corrupt, re-export it`, { cause: error }));
      });
    },
  });
  source.on('error', (error) => check.destroy(error));
  check.on('close', () => {
    source.destroy();
    // An abandoned copy must also stop the decompressor (a child process would keep us alive).
    if (feed && !feed.writableFinished) feed.destroy(new Error(`${what}: copy abandoned`));
  });
  return source.pipe(check);
}

/** Swallows a rejection that flush() reports later (or that no longer matters after an early close). */
function ignoreUntilFlush(_error: unknown): void {
  // Reported by flush() when the copy completes; irrelevant when the copy was abandoned.
}

function codeOf(error: unknown): string {
  return error instanceof Error && 'code' in error ? String((error as { code: unknown }).code) : String(error);
}
