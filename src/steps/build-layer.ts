// `nix-strata layer`: buildLayer's builder (nix/build-layer.nix). Writes one store layer (the
// closure of deps and copyToRoot, less what the given `layers` hold), exactly as the stream
// writes a store layer of those paths, compressed once into the output with layer.json beside
// it, so an image built on it gets the same diff_id without compressing the layer again.
import { createWriteStream } from 'node:fs';
import { rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createHash } from 'node:crypto';
import { buildCores } from '../build-cores.ts';
import { removeOnInterrupt } from '../cleanup.ts';
import { closureGraphFromAttrs } from '../closure/parse.ts';
import { compressBlob } from '../compression/compress.ts';
import { storeContentKey } from '../conf/content-key.ts';
import { fieldProblems, isNonEmptyString, isOwnerId, isPathList, isString, type FieldCheck } from '../conf/spec.ts';
import { blobName, heldPaths, LAYER_JSON, readLayerJson, type LayerJson, type StoredCompression } from '../conf/layer-json.ts';
import type { Digest } from '../digest/digest.ts';
import { outputError, UserError } from '../errors.ts';
import { normaliseMtime } from '../image/date.ts';
import { readJsonFile } from '../json/read-file.ts';
import { makeOutputDirectory } from '../sinks/output-dir.ts';
import { stagingDirectory } from '../sinks/output-target.ts';
import { asyncChunks } from '../tar/chunks.ts';
import { storeLayerChunks } from '../tar/store-layer.ts';

/** Version 1 of buildLayer's spec (docs/contract.md); Nix owns every default. */
export interface LayerSpec {
  version: 1;
  storeDir: string;
  /** copyToRoot elements, whose trees are copied at the layer root after the store paths. */
  copyToRoot: string[];
  /** Output directories of the buildLayer results this one is built on. */
  layers: string[];
  mtime: string;
  uid: number;
  gid: number;
  uname: string;
  gname: string;
  compression: StoredCompression;
}

/** Reads the derivation's attributes, writes `<out>/layer.json` and the blob; returns the layer.json. */
export async function buildLayer(attrsPath: string): Promise<LayerJson> {
  const value = await readJsonFile(attrsPath, { what: 'derivation attributes', code: 'attrs' });
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new UserError('attrs-malformed', `${attrsPath}: expected a JSON object of derivation attributes`);
  }
  const attrs = value as Record<string, unknown>;
  const spec = parseLayerSpec(attrs.spec, attrsPath);
  const out = (attrs.outputs as Record<string, unknown> | undefined)?.out;
  if (typeof out !== 'string') throw new UserError('attrs-malformed', `${attrsPath}: no outputs.out`);
  const graph = closureGraphFromAttrs(attrs, 'closure', { source: attrsPath, storeDir: spec.storeDir });
  // Flattened by each parent already: only the direct layers are read (never nested, nixkube#47).
  const held = heldPaths(await Promise.all(spec.layers.map((dir) => readLayerJson(dir))));
  const paths = graph.nodes.map((node) => node.path).filter((path) => !held.has(path));
  const mtime = normaliseMtime(spec.mtime, 'mtime');
  if (mtime === 'now') throw new UserError('bad-spec', `${attrsPath}: spec.mtime: "now" cannot be cached; give a date`);
  const owner = { uid: spec.uid, gid: spec.gid, uname: spec.uname, gname: spec.gname };
  const tar = spec.copyToRoot.length === 0
    ? asyncChunks(storeLayerChunks(paths, { ...owner, mtime }))
    : (await import('../build-layer/root-tree.ts')).storeLayerWithRoot(paths, { ...owner, mtime }, spec.copyToRoot);
  const contentKey = spec.copyToRoot.length === 0 ? storeContentKey(graph, paths) : undefined;

  const staged = stagingDirectory(out);
  const created = staged ?? makeOutputDirectory(out);
  const dir = staged ?? out;
  const guard = removeOnInterrupt(created ?? out);
  try {
    const blob = blobName(spec.compression);
    const identity = await writeBlob(tar, spec.compression, join(dir, blob));
    const layer: LayerJson = {
      version: 1,
      diffId: identity.diffId,
      size: identity.size,
      paths,
      root: spec.copyToRoot.length > 0,
      compression: spec.compression,
      blob,
      digest: identity.digest,
      blobSize: identity.blobSize,
      layers: spec.layers,
      parents: [...held].sort(),
      owner,
      mtime,
      ...(contentKey === undefined ? {} : { contentKey }),
    };
    await writeFile(join(dir, LAYER_JSON), `${JSON.stringify(layer, null, 2)}\n`).catch((error: unknown) => { throw outputError(error, join(out, LAYER_JSON)); });
    if (staged !== undefined) await rename(staged, out);
    return layer;
  } catch (error) {
    await rm(created ?? out, { recursive: true, force: true });
    if (staged !== undefined) await rm(staged, { recursive: true, force: true });
    throw error;
  } finally {
    guard.release();
  }
}

// The tar hashed (diff_id) and compressed into `file` in one pass.
async function writeBlob(tar: AsyncIterable<Buffer>, compression: StoredCompression, file: string): Promise<{ diffId: Digest; size: number; digest: Digest; blobSize: number }> {
  const hash = createHash('sha256');
  let size = 0;
  async function* hashed(): AsyncGenerator<Buffer> {
    for await (const chunk of tar) {
      hash.update(chunk);
      size += chunk.length;
      yield chunk;
    }
  }
  // The compressor's bytes depend on the tar only, not on the core count (compression/compress.ts).
  const blob = compressBlob(hashed(), compression, buildCores());
  await pipeline(blob.chunks, createWriteStream(file)).catch((error: unknown) => { throw outputError(error, file); });
  const { digest, size: blobSize } = blob.result();
  return { diffId: `sha256:${hash.digest('hex')}` as Digest, size, digest, blobSize };
}

// buildLayer's spec fields, checked as conf/spec.ts checks the image spec.
const LAYER_FIELDS: Record<keyof LayerSpec, FieldCheck> = {
  version: (v) => (v === 1 ? undefined : '1 (this builder reads layer spec version 1)'),
  storeDir: isNonEmptyString,
  copyToRoot: isPathList('a list of store paths'),
  layers: isPathList('a list of buildLayer output paths'),
  mtime: (v) => (typeof v === 'string' && v !== '' ? undefined : 'a date'),
  uid: isOwnerId,
  gid: isOwnerId,
  uname: isString,
  gname: isString,
  compression: (v) => (v === 'gzip' || v === 'zstd' || v === 'none' ? undefined : '"gzip", "zstd" or "none"'),
};

/** Checks buildLayer's spec, every problem in one line naming the attrs file. */
export function parseLayerSpec(value: unknown, file: string): LayerSpec {
  const record = (typeof value === 'object' && value !== null && !Array.isArray(value) ? value : {}) as Record<string, unknown>;
  const { unknown, invalid } = fieldProblems(record, LAYER_FIELDS);
  const problems = [...invalid, ...unknown.map((key) => `spec.${key}: unknown field`)];
  if (problems.length > 0) throw new UserError('bad-spec', `${file}: ${problems.join('; ')}`);
  return record as unknown as LayerSpec;
}
