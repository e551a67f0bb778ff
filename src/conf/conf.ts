// The conf: everything `nix-strata stream` needs, written once by `nix-strata conf` at build
// time (docs/contract.md). Kept as JSON with number lexemes preserved, because `config`
// values reach the image config byte for byte.
import { UserError } from '../errors.ts';
import { isLosslessNumber, stringifyLossless } from '../json/lossless.ts';
import { readLosslessJsonFile } from '../json/read-file.ts';
import { parseGivenLayer, type GivenLayer } from './layer-json.ts';

/** Owner written on every store-layer entry. */
export interface StoreOwner {
  uid: number;
  gid: number;
  uname: string;
  gname: string;
}

/** One store layer of the plan (its size and digest are computed by the stream). */
export interface ConfStoreLayer {
  paths: string[];
  /**
   * sha256 over the layer's sorted paths and their narHashes (conf/content-key.ts): what the
   * push matches a registry's layer by without reading the paths. Absent when a narHash is unknown.
   */
  contentKey?: string;
  /** The layer's tar size and where its recorded walk sits in the conf's `plan` file (steps/layer-plans.ts). */
  planned?: LayerPlanRecord;
}

/** A store layer's plan in the conf: the walk is absent when it outgrew the record limit. */
export interface LayerPlanRecord {
  size: number;
  /** Offset and length in the plan file. */
  walk?: [number, number];
}

export interface Conf {
  version: 1;
  repoTag: string;
  architecture: string;
  /** The config's CPU `variant` (e.g. "v8"), absent when the image has none. */
  variant?: string;
  /** The user's `config`, as parsed losslessly from baseJson (numbers are LosslessNumber). */
  config: unknown;
  created: string;
  mtime: number | 'now';
  owner: StoreOwner;
  storeDir: string;
  fromImage: string | null;
  /** buildLayer outputs (`layers`), parents first, each once: below the store layers. */
  givenLayers: GivenLayer[];
  storeLayers: ConfStoreLayer[];
  customisationLayer: string;
  /** The plan file (steps/layer-plans.ts) of the layers' `planned` records; absent in confs of earlier versions. */
  plan?: string;
}

/** The conf as text: 2-space JSON with number lexemes kept. */
export function serializeConf(conf: Conf): string {
  return `${stringifyLossless(conf, 2)}\n`;
}

/** Reads and checks a conf file; the file name appears in every error. */
export async function readConf(path: string): Promise<Conf> {
  return checkConf(await readLosslessJsonFile(path, { what: 'conf', code: 'conf' }), path);
}

function checkConf(value: unknown, path: string): Conf {
  const fail = (what: string): never => {
    throw new UserError('conf-malformed', `conf ${path}: ${what} (was it written by a different nix-strata version?)`);
  };
  const record = asRecord(value) ?? fail('expected an object');
  if (toNumber(record.version) !== 1) fail(`unsupported version ${JSON.stringify(String(record.version))}`);
  const str = (key: string): string => (typeof record[key] === 'string' ? (record[key] as string) : fail(`"${key}" must be a string`));
  const mtimeValue = record.mtime === 'now' ? 'now' : toNumber(record.mtime);
  if (mtimeValue === undefined) fail('"mtime" must be Unix seconds or "now"');
  const owner = asRecord(record.owner) ?? fail('"owner" must be an object');
  const ownerNumber = (key: string): number => toNumber(owner[key]) ?? fail(`"owner.${key}" must be a number`);
  if (!Array.isArray(record.storeLayers)) fail('"storeLayers" must be a list');
  const storeLayers = (record.storeLayers as unknown[]).map((item, index): ConfStoreLayer => {
    const layer = asRecord(item) ?? fail(`storeLayers[${index}] must be an object`);
    if (!Array.isArray(layer.paths) || !layer.paths.every((p) => typeof p === 'string')) {
      fail(`storeLayers[${index}].paths must be a list of store paths`);
    }
    // Confs of earlier versions also carried `digest` and `size`: ignored, the stream computes both.
    if (layer.contentKey !== undefined && typeof layer.contentKey !== 'string') fail(`storeLayers[${index}].contentKey must be a string`);
    const planned = layer.planned === undefined ? undefined : planRecord(layer.planned) ?? fail(`storeLayers[${index}].planned must be {"size": N} or {"size": N, "walk": [OFFSET, LENGTH]}`);
    return {
      paths: layer.paths as string[],
      ...(typeof layer.contentKey === 'string' ? { contentKey: layer.contentKey } : {}),
      ...(planned === undefined ? {} : { planned }),
    };
  });
  // Confs written before `layers` existed have none.
  const givenValue = record.givenLayers ?? [];
  if (!Array.isArray(givenValue)) fail('"givenLayers" must be a list');
  const givenLayers = (givenValue as unknown[]).map((item, index) => parseGivenLayer(item, `conf ${path} givenLayers[${index}]`));
  return {
    version: 1,
    repoTag: str('repoTag'),
    architecture: str('architecture'),
    ...(record.variant === undefined ? {} : { variant: str('variant') }),
    config: record.config,
    created: str('created'),
    mtime: mtimeValue as number | 'now',
    owner: {
      uid: ownerNumber('uid'),
      gid: ownerNumber('gid'),
      uname: typeof owner.uname === 'string' ? owner.uname : fail('"owner.uname" must be a string'),
      gname: typeof owner.gname === 'string' ? owner.gname : fail('"owner.gname" must be a string'),
    },
    storeDir: str('storeDir'),
    fromImage: record.fromImage === null ? null : str('fromImage'),
    givenLayers,
    storeLayers,
    customisationLayer: str('customisationLayer'),
    ...(record.plan === undefined ? {} : { plan: str('plan') }),
  };
}

function planRecord(value: unknown): LayerPlanRecord | undefined {
  const record = asRecord(value);
  const size = toNumber(record?.size);
  if (record === undefined || size === undefined || !Number.isSafeInteger(size) || size < 0) return undefined;
  if (record.walk === undefined) return { size };
  const walk = Array.isArray(record.walk) ? record.walk.map(toNumber) : [];
  if (walk.length !== 2 || !walk.every((n) => n !== undefined && Number.isSafeInteger(n) && n >= 0)) return undefined;
  return { size, walk: walk as [number, number] };
}

function asRecord(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

function toNumber(value: unknown): number | undefined {
  const number = isLosslessNumber(value) ? Number(value.value) : value;
  return typeof number === 'number' && Number.isFinite(number) ? number : undefined;
}

