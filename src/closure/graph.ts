// The closure reference graph: nodes sorted by path, self-references dropped, indexed adjacency.
// Layering relies on the path order for its tie-breaks (layering.md §1), so it is fixed here, once.
import { UserError } from '../errors.ts';

/** One store path of the closure, as Nix describes it. `references` excludes the path itself. */
export interface ClosureNode {
  readonly path: string;
  readonly narSize: number;
  readonly narHash?: string;
  readonly closureSize?: number;
  readonly references: readonly string[];
}

/** A validated closure graph. `nodes` is sorted by path (code-point order); indices refer to it. */
export interface ClosureGraph {
  readonly storeDir: string;
  readonly nodes: readonly ClosureNode[];
  readonly index: ReadonlyMap<string, number>;
  /** Direct references of each node, as sorted node indices, without self-loops. */
  readonly refs: readonly (readonly number[])[];
  /** Direct referrers of each node, as sorted node indices, without self-loops. */
  readonly users: readonly (readonly number[])[];
}

/** Code-point comparison of two strings (store paths are ASCII, so this is byte order). */
export function compareCodePoints(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Builds a graph from nodes in any order; `source` names the input in error messages. */
export function createClosureGraph(
  input: readonly ClosureNode[],
  options: { source: string; storeDir?: string },
): ClosureGraph {
  const storeDir = options.storeDir ?? '/nix/store';
  const fail = (what: string): never => {
    throw new UserError('closure-graph', `${options.source}: ${what}`);
  };
  const sorted = [...input].sort((a, b) => compareCodePoints(a.path, b.path));
  const index = new Map<string, number>();
  sorted.forEach((node, i) => {
    if (!node.path.startsWith(`${storeDir}/`) || node.path.length <= storeDir.length + 1) {
      fail(`path ${JSON.stringify(node.path)} is not under the store dir ${storeDir}; pass the store dir the graph was made with`);
    }
    if (index.has(node.path)) fail(`duplicate path ${node.path}; each store path must appear once`);
    index.set(node.path, i);
  });
  const refs: number[][] = [];
  const users: number[][] = sorted.map(() => []);
  const nodes = sorted.map((node, i): ClosureNode => {
    const own = new Set<number>();
    for (const ref of node.references) {
      const j = index.get(ref);
      if (j === undefined) fail(`${node.path} references ${ref}, which is missing from the graph; the graph must be closed under references`);
      else if (j !== i) own.add(j);
    }
    const list = [...own].sort((a, b) => a - b);
    refs.push(list);
    for (const j of list) users[j]!.push(i);
    return { ...node, references: list.map((j) => sorted[j]!.path) };
  });
  return { storeDir, nodes, index, refs, users };
}

function indexOf(graph: ClosureGraph, path: string): number {
  const i = graph.index.get(path);
  if (i === undefined) throw new UserError('closure-graph', `store path ${path} is not in the closure graph`);
  return i;
}

/** Marks everything reachable from `starts` along `edges` (the starts themselves only if reached again). */
export function reachable(edges: readonly (readonly number[])[], starts: Iterable<number>): Uint8Array {
  const seen = new Uint8Array(edges.length);
  const stack: number[] = [];
  for (const s of starts) for (const j of edges[s]!) if (!seen[j]) { seen[j] = 1; stack.push(j); }
  while (stack.length > 0) {
    const n = stack.pop()!;
    for (const j of edges[n]!) if (!seen[j]) { seen[j] = 1; stack.push(j); }
  }
  return seen;
}

/** Marks `starts` themselves and everything reachable from them along `edges`. */
export function reachableWithStarts(edges: readonly (readonly number[])[], starts: readonly number[]): Uint8Array {
  const seen = reachable(edges, starts);
  for (const start of starts) seen[start] = 1;
  return seen;
}

function pathsOf(graph: ClosureGraph, marks: Uint8Array, exclude: number): string[] {
  const out: string[] = [];
  marks.forEach((m, i) => { if (m && i !== exclude) out.push(graph.nodes[i]!.path); });
  return out;
}

/** refs(p): direct references of `path`, without itself, sorted. */
export function refsOf(graph: ClosureGraph, path: string): string[] {
  return graph.refs[indexOf(graph, path)]!.map((j) => graph.nodes[j]!.path);
}

/** deps*(p): all transitive references of `path`, without itself, sorted. */
export function depsOf(graph: ClosureGraph, path: string): string[] {
  const i = indexOf(graph, path);
  return pathsOf(graph, reachable(graph.refs, [i]), i);
}

/** users*(p): all transitive referrers of `path`, without itself, sorted. */
export function usersOf(graph: ClosureGraph, path: string): string[] {
  const i = indexOf(graph, path);
  return pathsOf(graph, reachable(graph.users, [i]), i);
}

/**
 * The nodes `roots` reach, roots included, in graph order (roots not in the graph reach
 * nothing): a build that exported more than its image holds keeps what its real roots refer to.
 */
export function closureOf(graph: ClosureGraph, roots: readonly string[]): ClosureNode[] {
  const kept = reachableWithStarts(graph.refs, roots.flatMap((root) => graph.index.get(root) ?? []));
  return graph.nodes.filter((_, i) => kept[i] === 1);
}

/** Roots: the paths no other path references, sorted. */
export function rootsOf(graph: ClosureGraph): string[] {
  return graph.nodes.filter((_, i) => graph.users[i]!.length === 0).map((n) => n.path);
}


/**
 * The graph without `removed` and the references to them (paths a given layer already holds):
 * what is left to layer ranks as if those paths were never in the closure.
 */
export function withoutPaths(graph: ClosureGraph, removed: ReadonlySet<string>): ClosureGraph {
  if (removed.size === 0) return graph;
  const nodes = graph.nodes
    .filter((node) => !removed.has(node.path))
    .map((node) => ({ ...node, references: node.references.filter((ref) => !removed.has(ref)) }));
  return createClosureGraph(nodes, { source: 'the closure without the given layers', storeDir: graph.storeDir });
}
