// The size-based "auto" strategy (layering.md §6), nixpkgs' newest default, opt-in here.
import type { ClosureGraph } from '../closure/graph.ts';
import { reachable, reachableWithStarts } from '../closure/graph.ts';
import { frozensetHash, setIterationOrder, strHash } from './cpython-set-order.ts';
import { compareNameKey } from './keys.ts';
import type { StrategyOptions } from './popularity.ts';

/** One row of the auto strategy's layer table (what nixpkgs prints with `debug = true`). */
export interface AutoLayerRow {
  readonly usedBy: string[];
  readonly paths: string[];
  readonly layerSize: number;
  readonly closureSize: number;
}

const keyString = (key: readonly number[]): string => key.join(',');

/** The full layer table (§6.2 steps 1–8), excluded roots still in it, in layer order. */
export function autoLayerTable(graph: ClosureGraph, budget: number): AutoLayerRow[] {
  const n = graph.nodes.length;
  const paths = graph.nodes.map((node) => node.path);
  const size = graph.nodes.map((node) => node.narSize);
  // Candidates: descending narSize, ties by descending path (indices are path-sorted).
  const candidates = paths.map((_, i) => i).sort((a, b) => size[b]! - size[a]! || b - a);
  let key: (readonly number[])[] = paths.map(() => []);
  for (const p of candidates) {
    const deps = reachable(graph.refs, [p]);
    const users = reachable(graph.users, [p]);
    const t = key.slice();
    t[p] = [p];
    for (let d = 0; d < n; d++) {
      if (!deps[d]) continue;
      const kept = t[d]!.filter((x) => !users[x]);
      if (!kept.some((x) => deps[x])) {
        const at = kept.findIndex((x) => x > p);
        kept.splice(at < 0 ? kept.length : at, 0, p);
      }
      t[d] = kept;
    }
    // Stop at the first candidate that overflows the budget; smaller ones are not tried (§6.2 3.4).
    if (new Set(t.map(keyString)).size > budget) break;
    key = t;
  }
  const groups = new Map<string, { usedBy: number[]; members: number[] }>();
  key.forEach((k, i) => {
    const s = keyString(k);
    const group = groups.get(s);
    if (group) group.members.push(i);
    else groups.set(s, { usedBy: [...k], members: [i] });
  });
  const byName = (a: number, b: number): number => compareNameKey(paths[a]!, paths[b]!);
  // nixpkgs builds its layers from `set(layer_split.values())` and sorts them stably by
  // closureSize, so equal sizes keep CPython's set order (deterministic: PYTHONHASHSEED=0).
  // Inserting the distinct layer ids in node order builds the same table as inserting all.
  const hashes = new Map<number, bigint>();
  const pathHash = (i: number): bigint => {
    let h = hashes.get(i);
    if (h === undefined) hashes.set(i, h = strHash(paths[i]!));
    return h;
  };
  const inSetOrder = setIterationOrder([...groups.values()], (g) => frozensetHash(g.usedBy.map(pathHash)), (g) => keyString(g.usedBy));
  const rows = inSetOrder.map(({ usedBy, members }): AutoLayerRow => {
    members.sort(byName);
    const closure = reachableWithStarts(graph.refs, members);
    let closureSize = 0;
    closure.forEach((inside, i) => { if (inside) closureSize += size[i]!; });
    return {
      usedBy: usedBy.sort(byName).map((i) => paths[i]!),
      paths: members.map((i) => paths[i]!),
      layerSize: members.reduce((sum, i) => sum + size[i]!, 0),
      closureSize,
    };
  });
  // Array.prototype.sort is stable, as Python's sorted().
  rows.sort((a, b) => a.closureSize - b.closureSize);
  return rows;
}

/** The auto strategy: the table above, minus the excluded roots, empty layers dropped (§6.2 step 9). */
export function autoStrategy(graph: ClosureGraph, budget: number, options: StrategyOptions): string[][] {
  const table = autoLayerTable(graph, budget);
  options.debug?.(`${JSON.stringify(table, null, 2)}\n`);
  return table.map((row) => row.paths.filter((p) => !options.excluded.has(p))).filter((layer) => layer.length > 0);
}
