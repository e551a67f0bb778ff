// `nix-strata conf`: turns the spec and closure graph Nix hands over (.attrs.json of a
// __structuredAttrs derivation) into the conf the stream reads: the layer plan, the image
// tag and the normalised dates. It reads no store file: with a plan output it sizes the store
// layers from their metadata (steps/layer-plans.ts), and digests are the stream's job, so a
// rebuild after a small change costs a plan and a metadata walk, not a pass over the closure.
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { basename } from 'node:path';
import { closureGraphFromAttrs } from '../closure/parse.ts';
import { storeContentKey } from '../conf/content-key.ts';
import { closureOf, createClosureGraph, type ClosureGraph } from '../closure/graph.ts';
import { buildCustomisationLayer } from '../customisation/layer-node.ts';
import { parseSpec, type BuildSpec } from '../conf/spec.ts';
import { serializeConf, type Conf, type ConfStoreLayer, type StoreOwner } from '../conf/conf.ts';
import { UserError } from '../errors.ts';
import { normaliseDate, normaliseMtime } from '../image/date.ts';
import { isJsonObject, type JsonValue } from '../json/lossless.ts';
import { readJsonFile, readLosslessJsonFile } from '../json/read-file.ts';
import { checkLayerLimit } from '../image/layer-limit.ts';
import { givenLayersOf, heldPaths } from '../conf/layer-json.ts';
import { planLayers } from '../layering/plan.ts';
import type { Logger } from '../log.ts';
import { removeOnInterrupt } from '../cleanup.ts';
import { writeOutputFile } from '../sinks/output-target.ts';
import { planFile } from './layer-plans.ts';
import { storeLayerPlan } from '../tar/store-layer.ts';

export interface BuildConfOptions {
  attrsPath: string;
  /** Output file; defaults to the derivation's `outputs.out`. */
  outPath?: string;
  /** Where the layers' plans go (steps/layer-plans.ts); defaults to the derivation's `outputs.plan`, and without either none is made. */
  planPath?: string;
  /** Print the layer table to stderr (the `debug` argument). */
  debug?: boolean;
  log: Logger;
}

/** Reads the derivation attributes, plans the layers and writes the conf. */
export async function buildConf(options: BuildConfOptions): Promise<Conf> {
  const attrs = await readAttrs(options.attrsPath);
  const spec = parseSpec(attrs.spec, options.attrsPath);
  const derivationOut = confOutput(attrs);
  const outPath = options.outPath ?? derivationOut ?? noOutput(options.attrsPath);
  // A customisation layer built here is an output too: never left half-made or after a failure.
  const layerDir = spec.customisationContents === null ? undefined : spec.customisationLayer;
  if (layerDir !== undefined && existsSync(layerDir)) {
    throw new UserError('customisation-exists', `${options.attrsPath}: spec.customisationLayer ${layerDir} already exists; with customisationContents it must be a new output path`);
  }
  const layerGuard = layerDir === undefined ? undefined : removeOnInterrupt(layerDir);
  try {
    // The default tag is the hash of the derivation's own output, even when writing elsewhere.
    const unplanned = await confFor(spec, attrs, { ...options, outPath, tagSource: derivationOut ?? outPath });
    const planPath = options.planPath ?? planOutput(attrs);
    const conf = planPath === undefined ? unplanned : withPlans(unplanned, planPath);
    writeConf(conf, outPath);
    return conf;
  } catch (error) {
    if (layerDir !== undefined) await rm(layerDir, { recursive: true, force: true });
    throw error;
  } finally {
    layerGuard?.release();
  }
}

// Plans the store layers into the plan file at `planPath`, and records each in the conf. The
// plan file is written first: a conf never names one that is not complete.
function withPlans(conf: Conf, planPath: string): Conf {
  // Header lengths depend on the mtime only past year 4147; "now" is planned with this instant's.
  const mtime = conf.mtime === 'now' ? Math.floor(Date.now() / 1000) : conf.mtime;
  const plans = conf.storeLayers.map((layer) => storeLayerPlan(layer.paths, { ...conf.owner, mtime }));
  const { bytes, records } = planFile(plans);
  writeOutputFile(planPath, bytes);
  return { ...conf, storeLayers: conf.storeLayers.map((layer, i) => ({ ...layer, planned: records[i]! })), plan: planPath };
}

// Written aside and renamed (or in place, to a device), so a full disk or an interrupt never
// leaves a truncated conf.
function writeConf(conf: Conf, outPath: string): void {
  writeOutputFile(outPath, serializeConf(conf));
}

async function confFor(spec: BuildSpec, attrs: Record<string, unknown>, options: BuildConfOptions & { outPath: string; tagSource: string }): Promise<Conf> {
  const created = normaliseDate(spec.created, 'created');
  const mtime = normaliseMtime(spec.mtime, 'mtime');
  const { architecture, variant, config } = await readBaseJson(spec.baseJson);
  const owner: StoreOwner = { uid: spec.uid, gid: spec.gid, uname: spec.uname, gname: spec.gname };

  // Each layer.json, parents first: their paths leave the closure before it is layered.
  const givenLayers = await givenLayersOf(spec.givenLayers);
  const given = { layerCount: givenLayers.length, paths: heldPaths(givenLayers) };
  let plan: string[][] = [];
  let graph = spec.includeStorePaths
    ? closureGraphFromAttrs(attrs, 'closure', { source: options.attrsPath, storeDir: spec.storeDir })
    : undefined;
  if (spec.customisationContents !== null) graph = await customiseHere(spec, spec.customisationContents, graph, options);
  // Loaded only when needed: the reader pulls in the decompressors, and conf start-up time
  // is most of an incremental rebuild.
  const baseLayerCount = spec.fromImage === null
    ? 0
    : (await (await import('../sources/docker-archive.ts')).readDockerArchive(spec.fromImage)).layers.length;
  // Nothing to place without store paths, so the layer budget is not checked either
  // (an improvement over nixpkgs, api.md §10 item 11).
  if (graph !== undefined) {
    plan = planLayers(graph, {
      strategy: spec.layeringStrategy,
      maxLayers: spec.maxLayers,
      baseLayerCount,
      excluded: [spec.baseJson, spec.customisationLayer],
      given,
      pipeline: await readPipeline(spec.layeringPipeline),
      ...(options.debug ? { debug: (text: string) => process.stderr.write(text) } : {}),
    });
  }

  // maxLayers (≤ 125 at evaluation) bounds a strategy's plan; a pipeline, or a deep base with
  // no store paths to budget, is bounded only here (api.md §10 item 12).
  checkLayerLimit({
    base: baseLayerCount,
    given: givenLayers.length,
    ...(spec.layeringPipeline !== null ? { store: { count: plan.length, decidedBy: 'the layeringPipeline' } } : {}),
    own: { count: 1, what: 'customisation layer' },
  });
  const storeLayers: ConfStoreLayer[] = plan.map((paths) => {
    const contentKey = graph === undefined ? undefined : storeContentKey(graph, paths);
    return contentKey === undefined ? { paths } : { paths, contentKey };
  });
  return {
    version: 1,
    repoTag: `${spec.imageName}:${spec.tag ?? tagFromOutPath(options.tagSource)}`,
    architecture,
    ...(variant === undefined ? {} : { variant }),
    config,
    created,
    mtime,
    owner,
    storeDir: spec.storeDir,
    fromImage: spec.fromImage,
    givenLayers,
    storeLayers,
    customisationLayer: spec.customisationLayer,
  };
}

/**
 * Builds the customisation layer into its output and returns the graph the image's store paths
 * come from: Nix exported the closure of baseJson and every `contents` element, but only what
 * baseJson and the layer reference belong in the image (a fully shadowed element does not), and
 * the layer's own node takes part in the ranking, exactly as a separately built layer would.
 */
async function customiseHere(spec: BuildSpec, contents: readonly string[], exported: ClosureGraph | undefined, options: BuildConfOptions): Promise<ClosureGraph | undefined> {
  const node = await buildCustomisationLayer({
    contents,
    outDir: spec.customisationLayer,
    candidates: exported?.nodes.map((n) => n.path) ?? [],
    log: options.log,
  });
  if (exported === undefined) return undefined;
  const kept = closureOf(exported, [spec.baseJson, ...node.references]);
  return createClosureGraph([...kept, node], { source: `${options.attrsPath} attribute closure`, storeDir: spec.storeDir });
}

/** The default tag: the hash part of the conf's own store path (api.md §2.2), as Nix computes it too. */
export function tagFromOutPath(outPath: string): string {
  const hash = basename(outPath).split('-')[0] ?? '';
  if (!/^[0-9a-df-np-sv-z]{32}$/.test(hash)) {
    throw new UserError('bad-out-path', `cannot derive a tag from output path ${outPath}: expected /nix/store/<32-character hash>-<name>`);
  }
  return hash;
}

async function readAttrs(path: string): Promise<Record<string, unknown>> {
  const value = await readJsonFile(path, { what: 'derivation attributes', code: 'attrs' });
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new UserError('attrs-malformed', `${path}: expected a JSON object of derivation attributes`);
  }
  return value as Record<string, unknown>;
}

// The conf goes to the `conf` output of a derivation that also builds the customisation layer
// (its `out`), else to `out`.
function confOutput(attrs: Record<string, unknown>): string | undefined {
  const outputs = (attrs.outputs ?? {}) as Record<string, unknown>;
  return [outputs.conf, outputs.out].find((value): value is string => typeof value === 'string');
}

function planOutput(attrs: Record<string, unknown>): string | undefined {
  const plan = ((attrs.outputs ?? {}) as Record<string, unknown>).plan;
  return typeof plan === 'string' ? plan : undefined;
}

function noOutput(where: string): never {
  throw new UserError('attrs-malformed', `${where}: no outputs.conf or outputs.out; pass --out FILE`);
}

async function readBaseJson(path: string): Promise<{ architecture: string; variant: string | undefined; config: JsonValue }> {
  const value = await readLosslessJsonFile(path, { what: "the image's base config", code: 'base-json' });
  if (!isJsonObject(value) || typeof value.architecture !== 'string' || !('config' in value)) {
    throw new UserError('base-json-malformed', `${path}: expected {"architecture": …, "config": …, "os": …}`);
  }
  // `variant` is written only when the user gave one (nix/default.nix).
  const variant = typeof value.variant === 'string' ? value.variant : undefined;
  return { architecture: value.architecture, variant, config: value.config ?? null };
}

async function readPipeline(pipeline: BuildSpec['layeringPipeline']): Promise<unknown> {
  if (typeof pipeline !== 'string') return pipeline;
  return readJsonFile(pipeline, { what: 'layeringPipeline', code: 'pipeline' });
}
