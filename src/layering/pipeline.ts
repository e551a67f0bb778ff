// The layering pipeline language (layering.md §7): parsed and checked up front, then evaluated
// over work graphs. Errors name the step by its 1-based index ("step 2", nested "step 2.1").
import { UserError } from '../errors.ts';
import { rankByPopularity, workRoots } from './popularity.ts';
import { concat, induced, predecessors, type WorkGraph } from './work-graph.ts';
import { reachableWithStarts } from '../closure/graph.ts';

/** A parsed pipeline step; `where` is its index path and operation, for messages. */
export type PipelineStep = { readonly where: string } & (
  | { readonly op: 'popularity_contest' | 'flatten' | 'reverse' }
  | { readonly op: 'limit_layers' | 'split_every'; readonly n: number }
  | { readonly op: 'over'; readonly key: string; readonly step: PipelineStep }
  | { readonly op: 'map'; readonly step: PipelineStep }
  | { readonly op: 'pipe'; readonly steps: readonly PipelineStep[] }
  | { readonly op: 'remove_paths' | 'subcomponent_in' | 'subcomponent_out'; readonly paths: readonly string[] }
  | { readonly op: 'split_paths'; readonly specs: readonly SplitSpec[] }
);

/** A `split_paths` spec: a path, or the direct references of some paths. */
export type SplitSpec = { readonly path: string } | { readonly childrenOf: readonly string[] };

/** A pipeline value: a graph, a list/sequence, or a dict with ordered keys. */
export type PipelineValue =
  | { readonly kind: 'graph'; readonly graph: WorkGraph }
  | readonly PipelineValue[]
  | ReadonlyMap<string, PipelineValue>;

const OPS = ['popularity_contest', 'limit_layers', 'split_every', 'flatten', 'over', 'map', 'pipe',
  'remove_paths', 'reverse', 'subcomponent_in', 'subcomponent_out', 'split_paths'] as const;

function fail(where: string, what: string): never {
  throw new UserError('layering-pipeline', `layeringPipeline${where ? ` ${where}` : ''}: ${what}`);
}

const show = (value: unknown): string => (value === undefined ? 'nothing' : JSON.stringify(value));

/** Parses and checks a pipeline (a JSON list of steps); errors name the step index. */
export function parsePipeline(value: unknown): PipelineStep[] {
  if (!Array.isArray(value)) fail('', `expected a list of steps such as [["popularity_contest"], ["limit_layers", 100]], got ${show(value)}`);
  return parseSteps(value, '');
}

function parseSteps(list: readonly unknown[], prefix: string): PipelineStep[] {
  return list.map((step, i) => parseStep(step, `${prefix}${i + 1}`));
}

function parseStep(step: unknown, index: string): PipelineStep {
  if (!Array.isArray(step) || step.length === 0 || typeof step[0] !== 'string') {
    fail(`step ${index}`, `a step must be a list starting with an operation name, e.g. ["limit_layers", 20]; got ${show(step)}`);
  }
  const [name, ...args] = step as [string, ...unknown[]];
  const where = `step ${index} (${name})`;
  if (!(OPS as readonly string[]).includes(name)) fail(where, `unknown operation; expected one of ${OPS.join(', ')}`);
  const op = name as (typeof OPS)[number];
  const arity = (count: number): void => {
    if (args.length !== count) fail(where, `takes ${count} argument${count === 1 ? '' : 's'}, got ${args.length}`);
  };
  const stringList = (v: unknown, what: string): string[] => {
    if (!Array.isArray(v) || !v.every((p) => typeof p === 'string')) fail(where, `${what} must be a list of store paths, got ${show(v)}`);
    return v as string[];
  };
  switch (op) {
    case 'popularity_contest': case 'flatten': case 'reverse':
      arity(0);
      return { where, op };
    case 'limit_layers': case 'split_every': {
      arity(1);
      const n = args[0];
      if (typeof n !== 'number' || !Number.isInteger(n)) fail(where, `n must be an integer, got ${show(n)}`);
      if (n <= 0) fail(where, `n must be > 0, got ${n}`);
      return { where, op, n };
    }
    case 'over': {
      arity(2);
      if (typeof args[0] !== 'string') fail(where, `the key must be a string such as "main" or "rest", got ${show(args[0])}`);
      return { where, op, key: args[0], step: parseStep(args[1], `${index}.1`) };
    }
    case 'map':
      arity(1);
      return { where, op, step: parseStep(args[0], `${index}.1`) };
    case 'pipe':
      arity(1);
      if (!Array.isArray(args[0])) fail(where, `expects a list of steps, got ${show(args[0])}`);
      return { where, op, steps: parseSteps(args[0], `${index}.`) };
    case 'remove_paths':
      arity(1);
      return { where, op, paths: typeof args[0] === 'string' ? [args[0]] : stringList(args[0], 'the argument') };
    case 'subcomponent_in': case 'subcomponent_out':
      arity(1);
      return { where, op, paths: stringList(args[0], 'the argument') };
    default: { // split_paths
      arity(1);
      if (!Array.isArray(args[0])) fail(where, `expects a list of specs (paths or {"children_of": …}), got ${show(args[0])}`);
      const specs = args[0].map((spec: unknown): SplitSpec => {
        if (typeof spec === 'string') return { path: spec };
        if (typeof spec === 'object' && spec !== null && !Array.isArray(spec) && Object.keys(spec).length === 1 && 'children_of' in spec) {
          const of = (spec as { children_of: unknown }).children_of;
          return { childrenOf: typeof of === 'string' ? [of] : stringList(of, 'children_of') };
        }
        return fail(where, `a spec must be a store path or {"children_of": path-or-paths}, got ${show(spec)}`);
      });
      return { where, op, specs };
    }
  }
}

const graphValue = (graph: WorkGraph): PipelineValue => ({ kind: 'graph', graph });

function isGraph(v: PipelineValue): v is { kind: 'graph'; graph: WorkGraph } {
  return !Array.isArray(v) && !(v instanceof Map);
}

function describe(v: PipelineValue): string {
  if (Array.isArray(v)) return 'a sequence';
  if (v instanceof Map) return `a dict with keys ${JSON.stringify([...v.keys()])}`;
  return 'a graph';
}

function expectGraph(step: PipelineStep, v: PipelineValue): WorkGraph {
  if (!isGraph(v)) fail(step.where, `expects a graph, got ${describe(v)}`);
  return v.graph;
}

function expectList(step: PipelineStep, v: PipelineValue): readonly PipelineValue[] {
  if (!Array.isArray(v)) fail(step.where, `expects a sequence (e.g. from popularity_contest or flatten), got ${describe(v)}`);
  return v;
}

function dictOf(entries: [string, WorkGraph][]): PipelineValue {
  return new Map(entries.map(([k, g]) => [k, graphValue(g)]));
}

/** Runs parsed steps on a value; the final value is not flattened here. */
export function evaluatePipeline(steps: readonly PipelineStep[], value: PipelineValue): PipelineValue {
  return steps.reduce((v, step) => evaluateStep(step, v), value);
}

function evaluateStep(step: PipelineStep, value: PipelineValue): PipelineValue {
  switch (step.op) {
    case 'popularity_contest': {
      const g = expectGraph(step, value);
      return rankByPopularity(g).map((i) => graphValue(induced(g, [i])));
    }
    case 'limit_layers': {
      const list = expectList(step, value);
      const head = list.slice(0, step.n - 1);
      const tail = list.slice(step.n - 1).map((item, i) => {
        if (!isGraph(item)) fail(step.where, `item ${step.n + i} is ${describe(item)}; only graphs can be merged (add ["flatten"] first)`);
        return item.graph;
      });
      // Always one merged graph, empty when nothing remains, as nixpkgs does: a later reverse
      // or limit_layers counts it; only the final flatten drops it.
      return [...head, graphValue(concat(tail))];
    }
    case 'split_every': {
      const g = expectGraph(step, value);
      const out: PipelineValue[] = [];
      for (let at = 0; at < g.names.length; at += step.n) {
        const pick: number[] = [];
        for (let i = at; i < Math.min(at + step.n, g.names.length); i++) pick.push(i);
        out.push(graphValue(induced(g, pick)));
      }
      return out;
    }
    case 'flatten':
      return flattenGraphs(value).map(graphValue);
    case 'over': {
      if (!(value instanceof Map)) fail(step.where, `expects a dict (from split_paths or subcomponent_*), got ${describe(value)}`);
      if (!value.has(step.key)) fail(step.where, `key ${JSON.stringify(step.key)} is absent; the dict has ${JSON.stringify([...value.keys()])}`);
      const copy = new Map(value);
      copy.set(step.key, evaluateStep(step.step, value.get(step.key)!));
      return copy;
    }
    case 'map':
      return expectList(step, value).map((item) => evaluateStep(step.step, item));
    case 'pipe':
      return evaluatePipeline(step.steps, value);
    case 'reverse':
      return [...expectList(step, value)].reverse();
    case 'remove_paths': {
      const g = expectGraph(step, value);
      const gone = new Set(step.paths);
      return graphValue(induced(g, indicesWhere(g, (name) => !gone.has(name))));
    }
    case 'subcomponent_in': case 'subcomponent_out': {
      const g = expectGraph(step, value);
      const edges = step.op === 'subcomponent_in' ? predecessors(g) : g.succ;
      const given = indicesOf(g, step.paths);
      const main = reachableWithStarts(edges, given);
      return dictOf([['main', induced(g, indicesWhere(g, (_, i) => main[i] === 1))],
        ['rest', induced(g, indicesWhere(g, (_, i) => main[i] !== 1))]]);
    }
    case 'split_paths':
      return splitPaths(expectGraph(step, value), step.specs);
  }
}

function indicesWhere(g: WorkGraph, keep: (name: string, i: number) => boolean): number[] {
  const out: number[] = [];
  g.names.forEach((name, i) => { if (keep(name, i)) out.push(i); });
  return out;
}

// Unknown paths are ignored, as remove_paths and split_paths do.
function indicesOf(g: WorkGraph, paths: readonly string[]): number[] {
  const wanted = new Set(paths);
  return indicesWhere(g, (name) => wanted.has(name));
}

// §7.5. The temporary root is modelled by starting the reachability walk from every real root.
function splitPaths(g: WorkGraph, specs: readonly SplitSpec[]): PipelineValue {
  const split = new Uint8Array(g.names.length);
  for (const spec of specs) {
    if ('path' in spec) for (const i of indicesOf(g, [spec.path])) split[i] = 1;
    else for (const i of indicesOf(g, spec.childrenOf)) for (const j of g.succ[i]!) split[j] = 1;
  }
  const splitList = indicesWhere(g, (_, i) => split[i] === 1);
  if (splitList.length === 0) return dictOf([['rest', g]]);
  const roots = workRoots(g);
  if (roots.length === 1 && split[roots[0]!]) return dictOf([['main', g]]);
  const splitOff = reachableWithStarts(g.succ, splitList);
  const cut = g.succ.map((s) => s.filter((j) => !split[j]));
  // Edges into split paths are deleted, the temporary root's included: split roots are not reached.
  const starts = roots.filter((r) => !split[r]);
  const reach = reachableWithStarts(cut, starts);
  const groups: [string, WorkGraph][] = [
    ['main', induced(g, indicesWhere(g, (_, i) => splitOff[i] === 1 && !reach[i]))],
    ['common', induced(g, indicesWhere(g, (_, i) => splitOff[i] === 1 && reach[i] === 1))],
    ['rest', induced(g, indicesWhere(g, (_, i) => reach[i] === 1 && !splitOff[i]))],
  ];
  return dictOf(groups.filter(([, graph]) => graph.names.length > 0));
}

// The walk of §7.3: lists in order, dict values in key order, graphs as leaves (empty ones kept).
function flattenGraphs(value: PipelineValue): WorkGraph[] {
  if (isGraph(value)) return [value.graph];
  const items: readonly PipelineValue[] = value instanceof Map ? [...value.values()] : (value as readonly PipelineValue[]);
  return items.flatMap(flattenGraphs);
}

/** Runs a pipeline on a graph and flattens the result into layers (§7.3). */
export function runPipeline(steps: readonly PipelineStep[], graph: WorkGraph): string[][] {
  const result = evaluatePipeline(steps, graphValue(graph));
  if (isGraph(result)) {
    fail(steps.length === 0 ? '(empty)' : `step ${steps.length}`, 'the pipeline ends in a single graph; end it with a step that yields layers, e.g. ["popularity_contest"] or ["split_every", n]');
  }
  return flattenGraphs(result).map((g) => [...g.names]).filter((layer) => layer.length > 0);
}
