// The popularity contest (layering.md §4) and its split into layers (§5): the project default.
import type { ClosureGraph } from '../closure/graph.ts';
import { compareCodePoints } from '../closure/graph.ts';
import { compareRotated } from './keys.ts';
import { predecessors, workGraphOf, type WorkGraph } from './work-graph.ts';

interface Arith<T> {
  readonly zero: T;
  readonly one: T;
  add(a: T, b: T): T;
}

// Subtree counts S(n) are kept sparse (the nodes below n with their counts, in parallel arrays)
// and freed as soon as every referrer has consumed them, so memory stays near the live frontier
// instead of one Map per node. Counts can exceed 2^53 on deep, diamond-rich closures (they count
// tree paths), hence the pluggable arithmetic.
function countPopularity<T>(graph: WorkGraph, arith: Arith<T>, roots: readonly number[]): T[] {
  const n = graph.names.length;
  const pop: T[] = new Array<T>(n).fill(arith.zero);
  const keys: (Int32Array | undefined)[] = new Array(n);
  const vals: (T[] | undefined)[] = new Array(n);
  const pending = new Int32Array(n);
  for (const s of graph.succ) for (const j of s) pending[j]! += 1;
  const state = new Uint8Array(n); // 0 new, 1 on the DFS stack, 2 done
  const acc: T[] = new Array<T>(n).fill(arith.zero);
  const stamp = new Int32Array(n).fill(-1);

  const compute = (v: number): void => {
    const touched: number[] = [];
    const bump = (x: number, by: T): void => {
      if (stamp[x] !== v) { stamp[x] = v; acc[x] = arith.zero; touched.push(x); }
      acc[x] = arith.add(acc[x]!, by);
    };
    for (const c of graph.succ[v]!) {
      const ck = keys[c];
      const cv = vals[c];
      // A child that is not done is an ancestor on the stack (a cycle); it is ignored.
      if (ck === undefined || cv === undefined) continue;
      bump(c, arith.one);
      for (let k = 0; k < ck.length; k++) bump(ck[k]!, arith.add(cv[k]!, arith.one));
    }
    keys[v] = Int32Array.from(touched);
    vals[v] = touched.map((x) => acc[x]!);
    for (const c of graph.succ[v]!) {
      pending[c]! -= 1;
      if (pending[c] === 0 && state[c] === 2) { keys[c] = undefined; vals[c] = undefined; }
    }
  };

  for (const r of roots) {
    const stack: [number, number][] = [[r, 0]];
    state[r] = 1;
    while (stack.length > 0) {
      const top = stack[stack.length - 1]!;
      const [v, next] = top;
      const children = graph.succ[v]!;
      if (next < children.length) {
        top[1] = next + 1;
        const c = children[next]!;
        if (state[c] === 0) { state[c] = 1; stack.push([c, 0]); }
        continue;
      }
      stack.pop();
      compute(v);
      state[v] = 2;
    }
    // P[x] = [x = r] + (S(r)[x] + 1) for every x below r.
    pop[r] = arith.add(pop[r]!, arith.one);
    const rk = keys[r]!;
    const rv = vals[r]!;
    for (let k = 0; k < rk.length; k++) pop[rk[k]!] = arith.add(pop[rk[k]!]!, arith.add(rv[k]!, arith.one));
    if (pending[r] === 0) { keys[r] = undefined; vals[r] = undefined; }
  }
  return pop;
}

/** The roots of a work graph: vertices nothing else in it references. */
export function workRoots(graph: WorkGraph): number[] {
  const pred = predecessors(graph);
  const roots: number[] = [];
  pred.forEach((p, i) => { if (p.length === 0) roots.push(i); });
  return roots;
}

// Numbers while exact, bigint beyond 2^53: most counts stay small, so bigint cost is paid only
// where tree-path counts really explode.
type Count = number | bigint;
const mixed: Arith<Count> = {
  zero: 0,
  one: 1,
  add(a, b) {
    if (typeof a === 'number' && typeof b === 'number') {
      const sum = a + b;
      if (sum <= Number.MAX_SAFE_INTEGER) return sum;
    }
    return BigInt(a) + BigInt(b);
  },
};

/** Popularity P of every vertex (§4.2); 0 for vertices no root reaches. Exact for any size. */
export function popularityCounts(graph: WorkGraph): bigint[] {
  return countPopularity(graph, mixed, workRoots(graph)).map((v) => BigInt(v));
}

/** Vertices ranked (§4.4): descending popularity, then rotated key; unreached ones last by path. */
export function rankByPopularity(graph: WorkGraph, pop: readonly bigint[] = popularityCounts(graph)): number[] {
  const reached: number[] = [];
  const unreached: number[] = [];
  graph.names.forEach((_, i) => (pop[i]! > 0n ? reached : unreached).push(i));
  reached.sort((a, b) => (pop[a]! > pop[b]! ? -1 : pop[a]! < pop[b]! ? 1 : compareRotated(graph.names[a]!, graph.names[b]!)));
  unreached.sort((a, b) => compareCodePoints(graph.names[a]!, graph.names[b]!));
  return [...reached, ...unreached];
}

/** Split of a ranked list with budget N ≥ 1 (§5): N−1 single-path layers, then one bulk layer. */
export function splitRanked<T>(ranked: readonly T[], budget: number): T[][] {
  const singles = ranked.slice(0, Math.max(0, budget - 1)).map((p) => [p]);
  const bulk = ranked.slice(Math.max(0, budget - 1));
  return bulk.length > 0 ? [...singles, bulk] : singles;
}

/** Options every strategy receives. `debug` gets a human-readable table when given. */
export interface StrategyOptions {
  readonly excluded: ReadonlySet<string>;
  readonly debug?: (text: string) => void;
}

/** The popularity strategy: rank without the excluded roots, then split with budget N. */
export function popularityStrategy(graph: ClosureGraph, budget: number, options: StrategyOptions): string[][] {
  const work = workGraphOf(graph, { excluded: options.excluded, order: 'path' });
  const pop = popularityCounts(work);
  const ranked = rankByPopularity(work, pop);
  const layers = splitRanked(ranked.map((i) => work.names[i]!), budget);
  options.debug?.(popularitySummary(ranked.map((i) => ({ path: work.names[i]!, popularity: pop[i]! })), layers, budget));
  return layers;
}

/** A readable summary of a popularity plan: the ranking and which layer each path went to. */
export function popularitySummary(ranking: readonly { path: string; popularity: bigint }[], layers: readonly string[][], budget: number): string {
  const layerOf = new Map<string, number>();
  layers.forEach((layer, i) => { for (const p of layer) layerOf.set(p, i + 1); });
  const width = String(ranking.length).length;
  const lines = [`popularity: ${ranking.length} paths, budget ${budget}, ${layers.length} store layers`];
  ranking.forEach(({ path, popularity }, i) => {
    lines.push(`${String(i + 1).padStart(width)}  layer ${layerOf.get(path) ?? '-'}  popularity ${popularity}  ${path}`);
  });
  return `${lines.join('\n')}\n`;
}
