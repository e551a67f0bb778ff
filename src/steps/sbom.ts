// `nix-strata sbom`: an image's SBOM (SPDX 2.3 and CycloneDX 1.5) from what its build already
// has: the closure graph Nix exports (narHash, narSize, references) and the layer plan (the conf
// of a layered image; for buildImage, the one new layer). No scanner and no store path is read,
// so it works in the sandbox; only a `fromImage` base is opened, for its layer count (and, for
// buildImage, the store paths it already holds, which the new layer leaves out).
import { renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { removeOnInterrupt } from '../cleanup.ts';
import { closureGraphFromAttrs, closureGraphFromJson } from '../closure/parse.ts';
import type { ClosureGraph } from '../closure/graph.ts';
import { readConf, type Conf } from '../conf/conf.ts';
import { outputError, UserError } from '../errors.ts';
import { parseToUnixSeconds } from '../image/date.ts';
import type { Logger } from '../log.ts';
import { createSbom, sbomPackages, sbomTimestamp, type SbomImage, type SbomLayer } from '../sbom/packages.ts';
import { writeCycloneDx } from '../sbom/cyclonedx.ts';
import { writeSpdx } from '../sbom/spdx.ts';
import { readJsonFile } from '../json/read-file.ts';
import { packageVersion } from '../version.ts';
import { makeOutputDirectory } from '../sinks/output-dir.ts';
import { stagingDirectory } from '../sinks/output-target.ts';

/** The file names inside the output directory. */
export const SPDX_FILE = 'sbom.spdx.json';
export const CYCLONEDX_FILE = 'sbom.cdx.json';

/** The `sbom` attribute of the SBOM derivation (docs/contract.md): a layered image's conf (read once, here), or buildImage's layer. */
export type SbomSpec =
  | { readonly version: 1; readonly conf: Conf }
  | {
    readonly version: 1;
    readonly imageName: string;
    readonly imageTag: string;
    readonly created: string;
    readonly fromImage: string | null;
    /** buildImage's layer derivation: the graph's paths other than it (and the base's) join the one new layer. */
    readonly layer: string;
    readonly storeDir: string;
  };

/** Inputs of writeSbom. */
export interface WriteSbomOptions {
  readonly spec: SbomSpec;
  readonly graph: ClosureGraph;
  /** The directory to create, holding sbom.spdx.json and sbom.cdx.json. */
  readonly outDir: string;
  readonly log: Logger;
}

/** Describes the image and writes both documents into `outDir`. */
export async function writeSbom(options: WriteSbomOptions): Promise<void> {
  const { image, layers } = 'conf' in options.spec
    ? await layeredImage(options.spec.conf)
    : await singleLayerImage(options.spec, options.graph, options.log);
  const sbom = createSbom(image, { name: 'nix-strata', version: packageVersion() }, sbomPackages(options.graph, layers, 'the closure graph'));
  writeDirectory(options.outDir, { [SPDX_FILE]: writeSpdx(sbom), [CYCLONEDX_FILE]: writeCycloneDx(sbom) });
}

/** Reads the SBOM derivation's `.attrs.json`: `sbom` (the spec), the `graph` and `outputs.out`. */
export async function readSbomAttrs(path: string): Promise<{ spec: SbomSpec; graph: ClosureGraph; out: string | undefined }> {
  const attrs = await readJsonFile(path, { what: 'the derivation attributes', code: 'sbom-input' });
  if (!isRecord(attrs)) throw new UserError('attrs-malformed', `${path}: expected a JSON object of derivation attributes`);
  const spec = await parseSbomSpec(attrs.sbom, `${path}: sbom`);
  const storeDir = 'storeDir' in spec ? spec.storeDir : spec.conf.storeDir;
  const graph = closureGraphFromAttrs(attrs, 'graph', { source: path, storeDir });
  const outputs = isRecord(attrs.outputs) ? attrs.outputs : {};
  return { spec, graph, out: typeof outputs.out === 'string' ? outputs.out : undefined };
}

/**
 * Reads a closure graph file for `--graph`: exportReferencesGraph's JSON list, or `nix path-info
 * --json --recursive` output (a list before Nix 2.19, an object keyed by path since).
 */
export async function readGraphFile(path: string, storeDir: string): Promise<ClosureGraph> {
  const value = await readJsonFile(path, { what: 'the closure graph', code: 'sbom-input' });
  const list = isRecord(value) ? Object.entries(value).map(([key, info]) => (isRecord(info) ? { path: key, ...info } : info)) : value;
  return closureGraphFromJson(list, { source: path, storeDir });
}

async function parseSbomSpec(value: unknown, where: string): Promise<SbomSpec> {
  if (!isRecord(value) || value.version !== 1) throw new UserError('bad-spec', `${where}: expected {"version": 1, …}; nix/ and the builder are out of step`);
  const str = (key: string): string => {
    const v = value[key];
    if (typeof v !== 'string' || v === '') throw new UserError('bad-spec', `${where}.${key}: expected a non-empty string, got ${JSON.stringify(v) ?? 'nothing'}`);
    return v;
  };
  if ('conf' in value) return { version: 1, conf: await readConf(str('conf')) };
  return {
    version: 1,
    imageName: str('imageName'),
    imageTag: str('imageTag'),
    created: str('created'),
    fromImage: value.fromImage === null ? null : str('fromImage'),
    layer: str('layer'),
    storeDir: str('storeDir'),
  };
}

// streamLayeredImage / buildLayeredImage: base layers, then the conf's given and store layers
// (the customisation layer on top holds no store path of its own).
async function layeredImage(conf: Conf): Promise<{ image: SbomImage; layers: SbomLayer[] }> {
  const colon = conf.repoTag.lastIndexOf(':');
  const base = await baseLayerCount(conf.fromImage);
  return {
    image: { name: conf.repoTag.slice(0, colon), tag: conf.repoTag.slice(colon + 1), created: timestamp(conf.created) },
    layers: [...conf.givenLayers, ...conf.storeLayers].map((layer, index) => ({ position: base + index, paths: layer.paths })),
  };
}

// buildImage: base layers, then one layer holding the layer derivation's tree and the store
// paths it references that the base does not hold.
async function singleLayerImage(spec: Exclude<SbomSpec, { conf: Conf }>, graph: ClosureGraph, log: Logger): Promise<{ image: SbomImage; layers: SbomLayer[] }> {
  let position = 0;
  let inBase = new Set<string>();
  if (spec.fromImage !== null) {
    const { readDockerArchive } = await import('../sources/docker-archive.ts');
    const { storePathsInBase } = await import('./build-image-archive.ts');
    const base = await readDockerArchive(spec.fromImage);
    try {
      position = base.layers.length;
      inBase = await storePathsInBase(base, spec.storeDir, log);
    } finally {
      await base.dispose();
    }
  }
  const paths = graph.nodes.map((node) => node.path).filter((path) => path !== spec.layer && !inBase.has(path));
  return {
    image: { name: spec.imageName, tag: spec.imageTag, created: timestamp(spec.created) },
    layers: [{ position, paths }],
  };
}

async function baseLayerCount(fromImage: string | null): Promise<number> {
  if (fromImage === null) return 0;
  const base = await (await import('../sources/docker-archive.ts')).readDockerArchive(fromImage);
  await base.dispose();
  return base.layers.length;
}

// The image's own date when it is fixed; "now" would put the clock in the bytes (packages.ts).
function timestamp(created: string): string {
  return sbomTimestamp(created === 'now' ? undefined : parseToUnixSeconds(created, 'created'));
}

// Written in the build directory (or made in place) and renamed when complete, so an interrupted
// build leaves no directory with one document.
function writeDirectory(outDir: string, files: Record<string, string>): void {
  const staged = stagingDirectory(outDir);
  const created = staged ?? makeOutputDirectory(outDir);
  const dir = staged ?? outDir;
  const written = created !== undefined ? [created] : Object.keys(files).map((name) => join(outDir, name));
  const guards = written.map((path) => removeOnInterrupt(path));
  try {
    for (const [name, text] of Object.entries(files)) {
      try {
        writeFileSync(join(dir, name), text, { mode: 0o644 });
      } catch (error) {
        throw outputError(error, join(outDir, name));
      }
    }
    if (staged !== undefined) {
      try {
        renameSync(staged, outDir);
      } catch (error) {
        throw outputError(error, outDir);
      }
    }
  } catch (error) {
    for (const path of written) rmSync(path, { recursive: true, force: true });
    throw error;
  } finally {
    for (const guard of guards) guard.release();
  }
}


function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

