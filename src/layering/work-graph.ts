// A small directed graph over names, the value popularity ranking and the pipeline work on.
// Vertex order matters (it is the order paths are written in a layer, layering.md §7.2).
import type { ClosureGraph } from '../closure/graph.ts';

/** Vertices in vertex order; `succ[i]` are the local indices vertex i references (no self-loops). */
export interface WorkGraph {
  readonly names: readonly string[];
  readonly succ: readonly (readonly number[])[];
}

/** The closure graph without `excluded` (and edges to them), vertices ordered as `order` says. */
export function workGraphOf(graph: ClosureGraph, options: { excluded: ReadonlySet<string>; order: 'path' | 'narSize' }): WorkGraph {
  const kept: number[] = [];
  graph.nodes.forEach((node, i) => { if (!options.excluded.has(node.path)) kept.push(i); });
  // Array.prototype.sort is stable, so equal sizes keep ascending path order (§7.2).
  if (options.order === 'narSize') kept.sort((a, b) => graph.nodes[a]!.narSize - graph.nodes[b]!.narSize);
  return inducedFrom(graph.nodes.map((n) => n.path), graph.refs, kept);
}

/** The subgraph on `pick` (indices into names/succ), in the order given, with the edges among them. */
export function inducedFrom(names: readonly string[], succ: readonly (readonly number[])[], pick: readonly number[]): WorkGraph {
  const local = new Map<number, number>();
  pick.forEach((old, i) => local.set(old, i));
  return {
    names: pick.map((i) => names[i]!),
    succ: pick.map((old) => {
      const out: number[] = [];
      for (const j of succ[old]!) { const l = local.get(j); if (l !== undefined) out.push(l); }
      return out;
    }),
  };
}

/** Induced subgraph of a work graph, keeping its vertex order (pick must be ascending for that). */
export function induced(graph: WorkGraph, pick: readonly number[]): WorkGraph {
  return inducedFrom(graph.names, graph.succ, pick);
}

/** Concatenation of graphs: vertices in sequence, each part's edges kept, no edges added between parts. */
export function concat(graphs: readonly WorkGraph[]): WorkGraph {
  const names: string[] = [];
  const succ: number[][] = [];
  for (const g of graphs) {
    const offset = names.length;
    names.push(...g.names);
    for (const s of g.succ) succ.push(s.map((j) => j + offset));
  }
  return { names, succ };
}

/** Direct predecessors of every vertex. */
export function predecessors(graph: WorkGraph): number[][] {
  const pred: number[][] = graph.names.map(() => []);
  graph.succ.forEach((s, i) => { for (const j of s) pred[j]!.push(i); });
  return pred;
}
