// Reads a `fromImage` docker-archive (format.md §6) as a base image without unpacking it: one
// index pass (docker-archive-index.ts) finds manifest.json, the config and the layer members;
// each base Layer then reads its member at its offset, in the archive itself when it is
// uncompressed, or in the uncompressed copy of a compressed one (docker-archive-copy.ts), and
// checks the bytes against the config's diff_id as they are read (image/verify-diff-id.ts).
import { createReadStream } from 'node:fs';
import { tmpdir } from 'node:os';
import { PassThrough, Readable } from 'node:stream';
import { digestOf, type Digest } from '../digest/digest.ts';
import { UserError } from '../errors.ts';
import { sniffCompression } from '../image/decompress.ts';
import type { BaseImage, Image, Layer, LayerCompression } from '../image/types.ts';
import { verifiedAgainstDiffId } from '../image/verify-diff-id.ts';
import { isJsonObject, parseLossless } from '../json/lossless.ts';
import { configDiffIds } from '../registry/manifest.ts';
import type { ReadFromMember, TarMember } from '../tar/member.ts';
import { PlainCopy } from './docker-archive-copy.ts';
import { checkedMemberName, detectCompression, indexArchive, memberData, resolveMember, type MemberInfo } from './docker-archive-index.ts';

/** A base layer: it also says which member it was read from (its name and header; a docker-archive sink keeps both). */
export type ArchiveLayer = Layer & ReadFromMember;

/** A base image read from a docker-archive. */
export interface DockerArchiveImage extends BaseImage {
  readonly layers: readonly ArchiveLayer[];
  /** The archive's path, for messages. */
  readonly path: string;
  /** Compression of the archive file itself. */
  readonly compression: LayerCompression;
  /** The base config's exact bytes (its sha256 is the base image ID). */
  readonly rawConfig: Buffer;
  /** The manifest's first entry `RepoTags` (empty when absent). */
  readonly repoTags: readonly string[];
  /** How many images (manifest.json entries) the archive holds; `entry` chooses the one read. */
  readonly entryCount: number;
  /** Removes the uncompressed copy of a compressed archive, if one was made (a later open() makes it again). */
  dispose(): Promise<void>;
}

/** The archive's image as any sink takes it (its layers and its exact config bytes). */
export function archiveImage(archive: DockerArchiveImage): Image {
  return { layers: archive.layers, rawConfig: async () => archive.rawConfig };
}

/** Options of readDockerArchive. */
export interface ReadDockerArchiveOptions {
  /** Where the uncompressed copy of a compressed archive goes (default os.tmpdir(), the build directory in Nix builds). */
  readonly tmpDir?: string;
  /** Which manifest.json entry (image) to read; default 0, the first, as fromImage uses. */
  readonly entry?: number;
}

/** Reads manifest.json[0], its config and layer headers; layers stream from the archive on demand. */
export async function readDockerArchive(path: string, options: ReadDockerArchiveOptions = {}): Promise<DockerArchiveImage> {
  const compression = await detectCompression(path);
  const copy = compression === 'none' ? undefined : new PlainCopy(path, compression, options.tmpDir ?? tmpdir());
  const members = await indexArchive(path, compression);

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
  const diffIds = configDiffIds(rawConfig, `${path}: ${configMember}`);
  if (diffIds.length !== names.length) {
    throw new UserError('layers-mismatch', `${path}: manifest.json lists ${names.length} layers but ${configMember} has ${diffIds.length} rootfs.diff_ids; the base archive is inconsistent, re-export it`);
  }
  const layers = names.map((name, index) =>
    baseLayer(path, copy, name, resolveMember(members, name, path, `Layers[${index}]`), diffIds[index]!));
  const tags = Array.isArray(entry['RepoTags']) ? entry['RepoTags'].filter((tag): tag is string => typeof tag === 'string') : [];
  return {
    path, compression, layers, diffIds, config, rawConfig, repoTags: tags,
    entryCount: (manifest as unknown[]).length,
    dispose: async () => { await copy?.dispose(); },
  };
}

/** The Layer of one base member: original name and header, bytes read at its offset. */
function baseLayer(path: string, copy: PlainCopy | undefined, name: string, info: MemberInfo, diffId: Digest): ArchiveLayer {
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
    sourceMember: sourceMemberOf(name, info),
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
function sourceMemberOf(name: string, info: MemberInfo): TarMember {
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
