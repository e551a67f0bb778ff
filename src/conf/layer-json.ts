// layer.json: what a buildLayer output says about its layer (docs/contract.md), read by the
// conf (paths to leave out of the automatic layers, parent layers to add) and by the next
// buildLayer built on it (its flattened parent paths), so chained layers never nest Nix arguments.
import { join } from 'node:path';
import { parseDigest, type Digest } from '../digest/digest.ts';
import { UserError } from '../errors.ts';
import { isLosslessNumber } from '../json/lossless.ts';
import { readJsonFile } from '../json/read-file.ts';
import type { StoreOwner } from './conf.ts';

/** The stored blob's compression (buildLayer's compressor "gz", "zstd", "none"). */
export type StoredCompression = 'gzip' | 'zstd' | 'none';

/** Version 1 of layer.json. */
export interface LayerJson {
  version: 1;
  /** sha256 of the uncompressed tar: the image config's diff_id. */
  diffId: Digest;
  /** Bytes of the uncompressed tar. */
  size: number;
  /** Store paths in the layer, in tar order (parents' paths left out). */
  paths: string[];
  /** Whether a copyToRoot tree follows the store paths in the tar (then the stream reads the blob). */
  root: boolean;
  compression: StoredCompression;
  /** File name of the blob in the output directory. */
  blob: string;
  /** sha256 and byte length of the blob. */
  digest: Digest;
  blobSize: number;
  /** The direct `layers` it was built on (their output directories). */
  layers: string[];
  /** Every store path held by `layers`, transitively, sorted. */
  parents: string[];
  owner: StoreOwner;
  /** Unix seconds of every store entry. */
  mtime: number;
  /** conf/content-key.ts's storeContentKey of `paths`, when every narHash is known and there is no root tree. */
  contentKey?: string;
}

export const LAYER_JSON = 'layer.json';

const BLOB_NAMES: Record<StoredCompression, string> = { gzip: 'layer.tar.gz', zstd: 'layer.tar.zst', none: 'layer.tar' };

/** The blob's file name for a compression. */
export function blobName(compression: StoredCompression): string {
  return BLOB_NAMES[compression];
}

/** Reads `<dir>/layer.json`; a malformed one fails naming the directory. */
export async function readLayerJson(dir: string): Promise<LayerJson> {
  const file = join(dir, LAYER_JSON);
  const value = await readJsonFile(file, { what: 'layer description (a buildLayer output)', code: 'layer-json' });
  return checkLayerJson(value, file);
}

/** A given layer as a conf records it (its layer.json and `dir`); `where` names the conf entry. */
export function parseGivenLayer(value: unknown, where: string): GivenLayer {
  const dir = typeof value === 'object' && value !== null ? (value as Record<string, unknown>).dir : undefined;
  if (typeof dir !== 'string') throw new UserError('conf-malformed', `${where}: "dir" must be a string (was the conf written by a different nix-strata version?)`);
  return { ...checkLayerJson(plainNumbers(value), where), dir };
}

// A conf is read losslessly (its `config` keeps number lexemes); a layer's numbers are plain.
function plainNumbers(value: unknown): unknown {
  if (isLosslessNumber(value)) return Number(value.value);
  if (Array.isArray(value)) return value.map(plainNumbers);
  if (typeof value === 'object' && value !== null) return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, plainNumbers(item)]));
  return value;
}

function checkLayerJson(value: unknown, file: string): LayerJson {
  const fail = (what: string): never => {
    throw new UserError('layer-json-malformed', `${file}: ${what}; give buildLayer results in \`layers\`, built by this nix-strata version`);
  };
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail('expected an object');
  const r = value as Record<string, unknown>;
  if (r.version !== 1) fail(`unsupported version ${JSON.stringify(r.version)}`);
  const count = (key: string): number => (Number.isSafeInteger(r[key]) && (r[key] as number) >= 0 ? (r[key] as number) : fail(`"${key}" must be a non-negative integer`));
  const strings = (key: string): string[] => (Array.isArray(r[key]) && (r[key] as unknown[]).every((s) => typeof s === 'string') ? (r[key] as string[]) : fail(`"${key}" must be a list of strings`));
  const digest = (key: string): Digest => {
    try {
      return parseDigest(r[key], `${file} "${key}"`);
    } catch {
      return fail(`"${key}" must be a sha256 digest`);
    }
  };
  const compression = r.compression === 'gzip' || r.compression === 'zstd' || r.compression === 'none' ? r.compression : fail('"compression" must be "gzip", "zstd" or "none"');
  const owner = r.owner as Record<string, unknown> | null;
  if (typeof owner !== 'object' || owner === null || !Number.isSafeInteger(owner.uid) || !Number.isSafeInteger(owner.gid) || typeof owner.uname !== 'string' || typeof owner.gname !== 'string') {
    fail('"owner" must be {uid, gid, uname, gname}');
  }
  if (typeof r.root !== 'boolean') fail('"root" must be true or false');
  if (r.blob !== blobName(compression)) fail(`"blob" must be ${JSON.stringify(blobName(compression))}`);
  if (r.contentKey !== undefined && typeof r.contentKey !== 'string') fail('"contentKey" must be a string');
  return {
    version: 1,
    diffId: digest('diffId'),
    size: count('size'),
    paths: strings('paths'),
    root: r.root as boolean,
    compression,
    blob: r.blob as string,
    digest: digest('digest'),
    blobSize: count('blobSize'),
    layers: strings('layers'),
    parents: strings('parents'),
    owner: { uid: owner!.uid as number, gid: owner!.gid as number, uname: owner!.uname as string, gname: owner!.gname as string },
    mtime: count('mtime'),
    ...(typeof r.contentKey === 'string' ? { contentKey: r.contentKey } : {}),
  };
}

/** A given layer read with its directory. */
export interface GivenLayer extends LayerJson {
  readonly dir: string;
}

/**
 * The layers `dirs` name with their parents, parents first, each once (list order otherwise):
 * what an image built with `layers = dirs` holds below its automatic store layers.
 */
export async function givenLayersOf(dirs: readonly string[], read: (dir: string) => Promise<LayerJson> = readLayerJson): Promise<GivenLayer[]> {
  const ordered: GivenLayer[] = [];
  const seen = new Set<string>();
  const visit = async (dir: string, chain: readonly string[]): Promise<void> => {
    if (seen.has(dir)) return;
    if (chain.includes(dir)) throw new UserError('layer-cycle', `buildLayer ${dir} is its own parent (${[...chain, dir].join(' -> ')}); rebuild the layers`);
    const layer = await read(dir);
    for (const parent of layer.layers) await visit(parent, [...chain, dir]);
    seen.add(dir);
    ordered.push({ ...layer, dir });
  };
  for (const dir of dirs) await visit(dir, []);
  return ordered;
}

/** The store paths the given layers hold, with their parents' (a layer's `parents` are flattened already). */
export function heldPaths(layers: readonly LayerJson[]): Set<string> {
  const held = new Set<string>();
  for (const layer of layers) {
    for (const path of layer.paths) held.add(path);
    for (const path of layer.parents) held.add(path);
  }
  return held;
}
