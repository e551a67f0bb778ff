// The archive step of buildImage (api.md §6.3): the base image's layers, then ONE new layer
// (the layer derivation's `layer.tar` followed by the store paths it references that the base
// does not already carry), a config whose Env is the base's followed by the child's
// (duplicates kept, image/env-merge.ts), the base's diff_ids (each checked against its layer's bytes as the layer
// is read, see image/verify-diff-id.ts), one `created`-only history
// entry per layer, and the tag taken from this derivation's own output path when not given.
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import tar from 'tar-stream';
import { digestFromHex, type Digest } from '../digest/digest.ts';
import { removeOnInterrupt } from '../cleanup.ts';
import { UserError } from '../errors.ts';
import { parseToUnixSeconds, currentInstant, formatUtcSeconds, SOURCE_DATE_EPOCH } from '../image/date.ts';
import { decompressed } from '../image/decompress.ts';
import { checkLayerLimit } from '../image/layer-limit.ts';
import { assembleImage } from '../image/assemble.ts';
import type { Layer } from '../image/types.ts';
import { isJsonObject, isLosslessNumber, stringifyLossless, type JsonObject, type JsonValue } from '../json/lossless.ts';
import { readLosslessJsonFile } from '../json/read-file.ts';
import type { Logger } from '../log.ts';
import { parseCompressor, writeOutput, type Compressor } from '../sinks/output.ts';
import { writeDockerArchive } from '../sinks/docker-archive.ts';
import { readDockerArchive, type DockerArchiveImage } from '../sources/docker-archive.ts';
import { endOfArchive } from '../tar/header.ts';
import { storeLayerChunks } from '../tar/store-layer.ts';
import { tarEntryBytes } from '../build-image/tar-entries.ts';


/** What the Nix side hands over (`spec` of the archive derivation's .attrs.json). */
export interface BuildImageSpec {
  readonly imageName: string;
  readonly tag: string | null;
  readonly architecture: string;
  /** The CPU variant (e.g. "v8"), when given. */
  readonly variant?: string;
  /** As the user wrote it (written verbatim), or "now". */
  readonly created: string;
  /** The user's `config` (null allowed), numbers kept as lexemes. */
  readonly config: JsonValue;
  readonly fromImage: string | null;
  /** The layer derivation's output: `layer.tar` and `checksum`. */
  readonly layer: string;
  readonly compressor: Compressor;
  readonly storeDir: string;
}

/** Inputs of `buildImageArchive`. */
export interface BuildImageArchiveOptions {
  readonly spec: BuildImageSpec;
  /** Runtime closure of the layer derivation (store paths), e.g. from exportReferencesGraph. */
  readonly closure: readonly string[];
  /** The archive file to write; its basename's hash part is the default tag. */
  readonly output: string;
  readonly log: Logger;
}

/** Reads `spec`, the `closure` graph and `outputs.out` from a structured-attrs file. */
export async function readBuildImageAttrs(path: string): Promise<{ spec: BuildImageSpec; closure: string[]; out: string }> {
  const attrs = await readLosslessJsonFile(path, { what: 'derivation attributes', code: 'attrs' });
  if (!isJsonObject(attrs) || !isJsonObject(attrs['spec'])) throw new UserError('attrs-malformed', `${path}: no spec object; run inside the buildImage archive derivation`);
  const spec = parseSpec(attrs['spec'], `${path}: spec`);
  const graph = attrs['closure'];
  const closure = Array.isArray(graph) ? graph.map((node) => (isJsonObject(node) && typeof node['path'] === 'string' ? node['path'] : '')).filter((p) => p !== '') : [];
  const outputs = attrs['outputs'];
  const out = isJsonObject(outputs) && typeof outputs['out'] === 'string' ? outputs['out'] : undefined;
  if (!out) throw new UserError('attrs-malformed', `${path}: no outputs.out`);
  return { spec, closure, out };
}

/** The build-image spec version this builder reads (docs/contract.md); nix/build-image.nix writes it. */
const SPEC_VERSION = 1;

function parseSpec(value: JsonObject, where: string): BuildImageSpec {
  const version = value['version'];
  if (!isLosslessNumber(version) || version.value !== String(SPEC_VERSION)) {
    const got = version === undefined ? 'no version' : `version ${stringifyLossless(version)}`;
    throw new UserError('bad-spec', `${where}.version: this builder reads build-image spec version ${SPEC_VERSION}, got ${got}; nix/ and the builder are out of step, rebuild with a matching nix-strata`);
  }
  const str = (key: string): string => {
    const v = value[key];
    if (typeof v !== 'string') throw new UserError('bad-spec', `${where}.${key}: expected a string`);
    return v;
  };
  const orNull = (key: string): string | null => (value[key] === null || value[key] === undefined ? null : str(key));
  return {
    imageName: str('imageName'),
    tag: orNull('tag'),
    architecture: str('architecture'),
    ...(value['variant'] === undefined ? {} : { variant: str('variant') }),
    created: str('created'),
    config: value['config'] ?? null,
    fromImage: orNull('fromImage'),
    layer: str('layer'),
    compressor: parseCompressor(str('compressor')),
    storeDir: str('storeDir'),
  };
}

/** The default tag: the 32-character hash part of the output path's basename. */
export function tagOfOutput(output: string): string {
  return basename(output).slice(0, 32);
}

/** Writes the buildImage archive to `options.output`. */
export async function buildImageArchive(options: BuildImageArchiveOptions): Promise<void> {
  const { spec, log } = options;
  const tag = spec.tag ?? tagOfOutput(options.output);
  const created = spec.created === 'now' ? formatUtcSeconds(currentInstant().seconds) : checkedCreated(spec.created);
  const work = await mkdtemp(join(tmpdir(), 'nix-strata-build-image-'));
  const guard = removeOnInterrupt(work);
  try {
    const base = spec.fromImage === null ? undefined : await readDockerArchive(spec.fromImage);
    checkLayerLimit({ base: base?.layers.length ?? 0, own: { count: 1, what: 'new layer' } });
    const inBase = base === undefined ? new Set<string>() : await storePathsInBase(base, spec.storeDir, log);
    const storePaths = [...new Set(options.closure)]
      .filter((path) => path !== spec.layer && !inBase.has(path))
      .sort();
    const layerFile = join(work, 'layer.tar');
    const { digest, size } = await writeJoinedLayer(join(spec.layer, 'layer.tar'), storePaths, layerFile);
    const newLayer: Layer = {
      compression: 'none',
      kind: 'customisation',
      origin: [spec.layer],
      diffId: async () => digest,
      digest: async () => digest,
      size: async () => size,
      open: () => createReadStream(layerFile),
    };
    const image = assembleImage({
      baseImage: base, storeLayers: [], customisationLayer: newLayer,
      architecture: spec.architecture, config: spec.config, created, style: 'build-image',
      ...(spec.variant === undefined ? {} : { variant: spec.variant }),
    });
    // Every member of buildImage's archive has the builder's plain header, its layer's too.
    await writeOutput({ path: options.output, compressor: spec.compressor }, (stream) =>
      writeDockerArchive(image, stream, { repoTags: [`${spec.imageName}:${tag}`], mtime: SOURCE_DATE_EPOCH, log, customisationMember: 'plain' }));
  } finally {
    await rm(work, { recursive: true, force: true });
    guard.release();
  }
}

function checkedCreated(value: string): string {
  parseToUnixSeconds(value, 'created');
  return value;
}

/** The store paths (`/nix/store/<name>` entries) the base's layers hold, each layer read through and checked. */
export async function storePathsInBase(base: DockerArchiveImage, storeDir: string, log: Logger): Promise<Set<string>> {
  const inBase = new Set<string>();
  const storeRelative = storeDir.replace(/^\/+|\/+$/g, '');
  for (const [index, layer] of base.layers.entries()) {
    log.info(`Reading base layer ${index + 1} of ${base.layers.length}...`);
    await scanBaseLayer(layer, `${base.path}: layer ${index + 1}`, (name) => {
      const match = /^(?:\.?\/)*(.*?)\/*$/.exec(name)![1]!;
      if (match.startsWith(`${storeRelative}/`) && !match.slice(storeRelative.length + 1).includes('/')) inBase.add(`/${match}`);
    });
  }
  return inBase;
}

/**
 * Reads one base layer through, every entry name to `onName`. Its diff_id needs no second
 * hash: a docker-archive layer's open() already fails at the end (base-diff-id-mismatch, or
 * base-layer-corrupt) when the bytes do not hash to the config's diff_id, so a corrupt base
 * fails here, before anything is written.
 */
async function scanBaseLayer(layer: Layer, what: string, onName: (name: string) => void): Promise<void> {
  const plain = await decompressed(layer.open(), what);
  const extract = tar.extract();
  const reading = (async () => {
    for await (const entry of extract) {
      onName(entry.header.name);
      entry.resume();
    }
  })();
  await Promise.all([pipeline(plain, extract), reading]);
}

/** Writes the layer derivation's entries followed by the store paths' (when any) as one tar. */
async function writeJoinedLayer(layerTar: string, storePaths: readonly string[], file: string): Promise<{ digest: Digest; size: number }> {
  const hash = createHash('sha256');
  let size = 0;
  async function* joined(): AsyncGenerator<Buffer> {
    const emit = (bytes: Buffer) => {
      hash.update(bytes);
      size += bytes.length;
      return bytes;
    };
    for await (const bytes of tarEntryBytes(createReadStream(layerTar), layerTar)) yield emit(bytes);
    if (storePaths.length > 0) {
      const owner = { uid: 0, gid: 0, uname: 'root', gname: 'root', mtime: SOURCE_DATE_EPOCH };
      for await (const bytes of tarEntryBytes(Readable.from(storeLayerChunks(storePaths, owner)), 'store paths')) yield emit(bytes);
    }
    yield emit(endOfArchive(size));
  }
  await pipeline(Readable.from(joined()), createWriteStream(file));
  return { digest: digestFromHex(hash.digest('hex')), size };
}
