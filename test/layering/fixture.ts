// Small graphs for layering tests: short names become /nix/store/<name>.
import { createClosureGraph, type ClosureGraph } from '../../src/closure/graph.ts';

export const p = (name: string): string => `/nix/store/${name}`;
export const names = (layers: readonly (readonly string[])[]): string[][] => layers.map((l) => l.map((x) => x.slice('/nix/store/'.length)));

/** Builds a graph from `name: refs` edges; sizes default to 1. */
export function graphOf(edges: Record<string, readonly string[]>, sizes: Record<string, number> = {}): ClosureGraph {
  const all = new Set<string>();
  for (const [from, to] of Object.entries(edges)) { all.add(from); to.forEach((t) => all.add(t)); }
  return createClosureGraph([...all].map((n) => ({ path: p(n), narSize: sizes[n] ?? 1, references: (edges[n] ?? []).map(p) })), { source: 'test' });
}

/** A deterministic pseudo-random permutation (so shuffles are reproducible). */
export function shuffled<T>(items: readonly T[], seed: number): T[] {
  const out = [...items];
  let s = seed;
  for (let i = out.length - 1; i > 0; i--) {
    s = (s * 1103515245 + 12345) % 2147483648;
    const j = s % (i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}
