// The SBOM's content, independent of its format: one package per store path an image's layers
// hold, taken from the closure graph Nix exported (narHash, references) and the layer plan
// (which layer holds the path). Nothing here reads a store path.
import type { ClosureGraph } from '../closure/graph.ts';
import { UserError } from '../errors.ts';
import { narHashHex } from './nar-hash.ts';
import { parseStorePathName } from './store-name.ts';

/** One layer of the image with the store paths it holds; `position` counts from the bottom (rootfs.diff_ids index). */
export interface SbomLayer {
  readonly position: number;
  readonly paths: readonly string[];
}

/** One store path of the image. */
export interface SbomPackage {
  readonly path: string;
  /** The 32-character hash part of the path: unique within a store, so it names the package in identifiers. */
  readonly hash: string;
  readonly name: string;
  /** '' when the name carries none. */
  readonly version: string;
  /** The narHash, as 64 lower-case hex digits. */
  readonly narHashHex: string;
  readonly narSize: number;
  /** The packages this one references, sorted (references to paths the document does not describe are left out). */
  readonly references: readonly string[];
  /** Position of the layer holding it. */
  readonly layer: number;
}

/** The image the SBOM describes. */
export interface SbomImage {
  readonly name: string;
  readonly tag: string;
  /** The document's creation date, `YYYY-MM-DDThh:mm:ssZ` (see sbomTimestamp). */
  readonly created: string;
}

/** The tool that wrote the documents. */
export interface SbomTool {
  readonly name: string;
  readonly version: string;
}

/** Everything either document says. */
export interface Sbom {
  readonly image: SbomImage;
  readonly tool: SbomTool;
  /** Sorted by store path. */
  readonly packages: readonly SbomPackage[];
  /** The packages no other package references (what the image itself refers to), sorted. */
  readonly roots: readonly string[];
}

/**
 * The packages of `layers`, described from `graph`; `where` names the graph in errors. Every
 * path must be in the graph with a narHash, and in one layer only.
 */
export function sbomPackages(graph: ClosureGraph, layers: readonly SbomLayer[], where: string): SbomPackage[] {
  const layerOf = new Map<string, number>();
  for (const layer of layers) {
    for (const path of layer.paths) {
      const earlier = layerOf.get(path);
      if (earlier !== undefined) throw new UserError('sbom-plan', `${where}: ${path} is in layer ${earlier} and layer ${layer.position}; a store path belongs to one layer`);
      layerOf.set(path, layer.position);
    }
  }
  const packages: SbomPackage[] = [];
  for (const node of graph.nodes) {
    const layer = layerOf.get(node.path);
    if (layer === undefined) continue;
    if (node.narHash === undefined) throw new UserError('sbom-no-nar-hash', `${where}: ${node.path} has no narHash; export the graph with exportReferencesGraph under __structuredAttrs`);
    const { hash, name, version } = parseStorePathName(node.path, graph.storeDir);
    packages.push({
      path: node.path,
      hash,
      // A name that is all version (`<hash>-1.0`) is still a package name: both formats require one.
      name: name === '' ? version : name,
      version,
      narHashHex: narHashHex(node.narHash, `${where}: ${node.path}`),
      narSize: node.narSize,
      references: node.references.filter((ref) => layerOf.has(ref)),
      layer,
    });
  }
  const missing = [...layerOf.keys()].filter((path) => !graph.index.has(path));
  if (missing.length > 0) throw new UserError('sbom-plan', `${where}: ${missing.length} store path(s) of the layer plan are missing from the closure graph, e.g. ${missing.sort()[0]}; the graph must be exported from the image's conf`);
  return packages;
}

/** Assembles the SBOM of `packages`: sorted, with the roots worked out. */
export function createSbom(image: SbomImage, tool: SbomTool, packages: readonly SbomPackage[]): Sbom {
  const sorted = [...packages].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const referenced = new Set(sorted.flatMap((p) => p.references));
  return { image, tool, packages: sorted, roots: sorted.filter((p) => !referenced.has(p.path)).map((p) => p.path) };
}

/** The epoch, the documents' date when the image's `created` is "now" (the clock is never read). */
export const EPOCH = '1970-01-01T00:00:00Z';

/**
 * The documents' creation date: the image's `created` when it is a fixed date (whole seconds,
 * UTC, as SPDX 2.3 §6.9 writes it), else the epoch, so the bytes depend on the inputs alone.
 * `unixSeconds` is that date (undefined for "now").
 */
export function sbomTimestamp(unixSeconds: number | undefined): string {
  return unixSeconds === undefined ? EPOCH : `${new Date(unixSeconds * 1000).toISOString().slice(0, 19)}Z`;
}
