// Content keys of layers: a digest that fixes a layer's tar bytes and needs no pass over them,
// recorded on a pushed layer's descriptor (annotation LAYER_KEY_ANNOTATION) so a repush matches
// a registry's layer without reading the local one (issue 11, deliverable 5).
import { createHash } from 'node:crypto';
import type { ClosureGraph } from '../closure/graph.ts';
import type { StoreOwner } from './conf.ts';

/** The manifest annotation a layer's key is recorded under. */
export const LAYER_KEY_ANNOTATION = 'org.nix-strata.layer.key';

/**
 * Version of nix-strata's tar layout (entry order, headers, padding). Bump it whenever a change
 * makes the same paths give other tar bytes: keys recorded before then stop matching.
 */
export const TAR_FORMAT_VERSION = 1;

const sha256 = (text: string): string => `sha256:${createHash('sha256').update(text).digest('hex')}`;

/** sha256 over the sorted `path narHash` lines, or undefined when a path has no narHash (legacy graph). */
export function storeContentKey(graph: ClosureGraph, paths: readonly string[]): string | undefined {
  const lines: string[] = [];
  for (const path of [...paths].sort()) {
    const index = graph.index.get(path);
    const narHash = index === undefined ? undefined : graph.nodes[index]!.narHash;
    if (narHash === undefined) return undefined;
    lines.push(`${path} ${narHash}\n`);
  }
  return sha256(lines.join(''));
}

/** The key of a store layer: its paths' content and everything else that fixes its tar bytes. */
export function storeLayerKey(contentKey: string, owner: StoreOwner, mtime: number): string {
  return sha256(JSON.stringify({ format: TAR_FORMAT_VERSION, kind: 'store', contentKey, owner: [owner.uid, owner.gid, owner.uname, owner.gname], mtime }));
}

/**
 * The key of the customisation layer: its diff_id, which the `checksum` file beside its
 * layer.tar gives without reading the tar (safer than its store path, which a rebuilt layer keeps
 * only if it is input-addressed).
 */
export function customisationLayerKey(diffId: string): string {
  return sha256(JSON.stringify({ format: TAR_FORMAT_VERSION, kind: 'customisation', diffId }));
}
