import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createClosureGraph } from '../../src/closure/graph.ts';
import { UserError } from '../../src/errors.ts';
import { parsePipeline } from '../../src/layering/pipeline.ts';
import { planLayers } from '../../src/layering/plan.ts';
import { graphOf, names, p } from './fixture.ts';

// Example 1 (§7.6): vertex order Root1, A, B, C, D, E, F, G, Root2, Root3 via ascending narSize.
const order = ['Root1', 'A', 'B', 'C', 'D', 'E', 'F', 'G', 'Root2', 'Root3'];
const example1 = graphOf(
  { Root1: ['A'], A: ['B', 'C'], B: ['D', 'E', 'G'], E: ['F'], Root2: ['B'], Root3: ['C'] },
  Object.fromEntries(order.map((n, i) => [n, i + 1])),
);
const example2 = graphOf({ Root1: ['A'], A: ['B'], Root2: [] });
const run = (graph: ReturnType<typeof graphOf>, pipeline: unknown, excluded: string[] = []) =>
  names(planLayers(graph, { maxLayers: 1, pipeline, excluded }));

test('Example 1: split_paths, over, pipe, subcomponent_in, flatten, map remove_paths, limit_layers', () => {
  const pipeline = [
    ['split_paths', [p('B')]],
    ['over', 'main', ['pipe', [['subcomponent_in', [p('B')]], ['over', 'rest', ['popularity_contest']]]]],
    ['flatten'],
    ['map', ['remove_paths', p('Root3')]],
    ['limit_layers', 5],
  ];
  assert.deepEqual(run(example1, pipeline), [['B'], ['F'], ['D'], ['E'], ['G', 'Root1', 'A', 'C', 'Root2']]);
});

test('Example 2: three pipelines', () => {
  const cases: [unknown, string[][]][] = [
    [[['popularity_contest']], [['B'], ['A'], ['Root1'], ['Root2']]],
    [[['popularity_contest'], ['limit_layers', 3]], [['B'], ['A'], ['Root1', 'Root2']]],
    [[['popularity_contest'], ['reverse'], ['limit_layers', 3]], [['Root2'], ['Root1'], ['A', 'B']]],
  ];
  for (const [pipeline, want] of cases) assert.deepEqual(run(example2, pipeline), want, JSON.stringify(pipeline));
});

test('popularity_contest + limit_layers N equals the popularity strategy with budget N', () => {
  const g = graphOf({ A: ['B', 'G'], B: ['C', 'E'], C: ['D', 'E'], D: ['F'], E: ['F'] });
  for (const n of [1, 2, 3, 7, 8]) {
    assert.deepEqual(run(g, [['popularity_contest'], ['limit_layers', n]]), names(planLayers(g, { maxLayers: n + 1 })), `N=${n}`);
  }
});

test('operations one by one', () => {
  // Vertex order by ascending narSize: C(1) B(2) A(3) D(4); edges A→B, B→C, D→C.
  const g = graphOf({ A: ['B'], B: ['C'], D: ['C'] }, { C: 1, B: 2, A: 3, D: 4 });
  const cases: [string, unknown, string[][]][] = [
    ['split_every 3', [['split_every', 3]], [['C', 'B', 'A'], ['D']]],
    ['split_every 1 reversed', [['split_every', 1], ['reverse']], [['D'], ['A'], ['B'], ['C']]],
    ['subcomponent_in', [['subcomponent_in', [p('B')]]], [['B', 'A'], ['C', 'D']]],
    ['subcomponent_out', [['subcomponent_out', [p('B')]]], [['C', 'B'], ['A', 'D']]],
    ['subcomponent_in unknown path: main empty, dropped', [['subcomponent_in', [p('nope')]]], [['C', 'B', 'A', 'D']]],
    ['remove_paths single and list', [['remove_paths', p('A')], ['remove_paths', [p('D'), p('nope')]], ['split_every', 9]], [['C', 'B']]],
    ['split_paths nothing matches → rest', [['split_paths', [p('nope')]]], [['C', 'B', 'A', 'D']]],
    // split B: split_off {B,C}; reach from {A,D} without edges into B: A, D, C → common {C}, main {B}, rest {A,D}.
    ['split_paths main/common/rest', [['split_paths', [p('B')]]], [['B'], ['C'], ['A', 'D']]],
    ['split_paths children_of', [['split_paths', [{ children_of: p('A') }]]], [['B'], ['C'], ['A', 'D']]],
    // rest of subcomponent_in is {C, D} with D→C; split C there: main {C}, rest {D}.
    ['flatten of nested dicts keeps key order', [['subcomponent_in', [p('B')]], ['over', 'rest', ['split_paths', [p('C')]]], ['flatten']], [['B', 'A'], ['C'], ['D']]],
    ['split_paths on the only root → main', [['subcomponent_in', [p('B')]], ['over', 'rest', ['split_paths', [p('D')]]], ['flatten'], ['limit_layers', 1]], [['B', 'A', 'C', 'D']]],
    ['map over a sequence', [['split_every', 2], ['map', ['remove_paths', p('B')]]], [['C'], ['A', 'D']]],
    ['limit_layers with fewer items', [['split_every', 2], ['limit_layers', 5]], [['C', 'B'], ['A', 'D']]],
    ['popularity_contest ranks within the graph', [['popularity_contest']], [['C'], ['B'], ['A'], ['D']]],
  ];
  for (const [name, pipeline, want] of cases) assert.deepEqual(run(g, pipeline), want, name);
});

test('split_paths with a single root that is split gives {main: graph}', () => {
  const g = graphOf({ R: ['X'], X: [] });
  assert.deepEqual(run(g, [['split_paths', [p('R')]], ['over', 'main', ['split_every', 1]]]), [['R'], ['X']]);
});

test('excluded roots are removed before the pipeline runs', () => {
  const g = graphOf({ base: ['app'], cust: ['app'], app: ['lib'] });
  assert.deepEqual(run(g, [['popularity_contest']], [p('base'), p('cust')]), [['lib'], ['app']]);
});

test('empty graph: [] without running the pipeline, but the pipeline is still checked', () => {
  const empty = createClosureGraph([], { source: 'test' });
  assert.deepEqual(planLayers(empty, { maxLayers: 1, pipeline: [['split_every', 2]] }), []);
  assert.throws(() => planLayers(empty, { maxLayers: 1, pipeline: [['bogus']] }), UserError);
});

test('pipeline errors name the step', () => {
  const cases: [string, unknown, RegExp][] = [
    ['unknown operation', [['popularity_contest'], ['sort_by_size']], /^layeringPipeline step 2 \(sort_by_size\): unknown operation; expected one of popularity_contest, /],
    ['limit_layers 0', [['popularity_contest'], ['limit_layers', 0]], /^layeringPipeline step 2 \(limit_layers\): n must be > 0, got 0$/],
    ['limit_layers -3', [['popularity_contest'], ['limit_layers', -3]], /^layeringPipeline step 2 \(limit_layers\): n must be > 0, got -3$/],
    ['limit_layers not a number', [['popularity_contest'], ['limit_layers', '3']], /^layeringPipeline step 2 \(limit_layers\): n must be an integer, got "3"$/],
    ['nested step index', [['split_paths', [p('B')]], ['over', 'rest', ['pipe', [['popularity_contest'], ['limit_layers', 0]]]]], /^layeringPipeline step 2\.1\.2 \(limit_layers\): n must be > 0, got 0$/],
    ['over on an absent key', [['split_paths', [p('Root1'), p('Root2'), p('Root3')]], ['over', 'rest', ['popularity_contest']]], /^layeringPipeline step 2 \(over\): key "rest" is absent; the dict has \["main"\]$/],
    ['final value is a bare graph', [['remove_paths', p('A')]], /^layeringPipeline step 1: the pipeline ends in a single graph; /],
    ['empty pipeline is a bare graph', [], /^layeringPipeline \(empty\): the pipeline ends in a single graph/],
    ['limit_layers on a graph', [['limit_layers', 3]], /^layeringPipeline step 1 \(limit_layers\): expects a sequence .*, got a graph$/],
    ['popularity_contest on a sequence', [['popularity_contest'], ['popularity_contest']], /^layeringPipeline step 2 \(popularity_contest\): expects a graph, got a sequence$/],
    ['over on a sequence', [['split_every', 2], ['over', 'main', ['reverse']]], /^layeringPipeline step 2 \(over\): expects a dict/],
    ['limit_layers merging a dict', [['split_every', 20], ['map', ['subcomponent_in', []]], ['limit_layers', 1]], /^layeringPipeline step 3 \(limit_layers\): item 1 is a dict with keys \["main","rest"\]; only graphs can be merged/],
    ['step not a list', [['popularity_contest'], 'reverse'], /^layeringPipeline step 2: a step must be a list starting with an operation name/],
    ['wrong arity', [['reverse', 1]], /^layeringPipeline step 1 \(reverse\): takes 0 arguments, got 1$/],
    ['bad split spec', [['split_paths', [{ parents_of: 'x' }]]], /^layeringPipeline step 1 \(split_paths\): a spec must be a store path or \{"children_of": path-or-paths\}/],
    ['not a list', { steps: [] }, /^layeringPipeline: expected a list of steps such as /],
  ];
  for (const [name, pipeline, message] of cases) {
    assert.throws(() => run(example1, pipeline), (error: unknown) => {
      assert.ok(error instanceof UserError, name);
      assert.match(error.message, message, name);
      assert.ok(!error.message.includes('\n'), `${name}: one line`);
      return true;
    }, name);
  }
});

test('parsePipeline checks everything before any graph exists', () => {
  assert.throws(() => parsePipeline([['popularity_contest'], ['map', ['limit_layers', 0]]]), /step 2\.1 \(limit_layers\): n must be > 0, got 0/);
  assert.equal(parsePipeline([['popularity_contest'], ['limit_layers', 20]]).length, 2);
});

test('limit_layers keeps an empty merged graph until the final flatten, as nixpkgs does', () => {
  // Unrelated C (6 B) and D (8 B): popularity gives [C], [D]; limit_layers 100000 adds an empty
  // graph, which reverse moves to the front, so limit_layers 2 merges D and C (nixpkgs: [[D, C]]).
  const g = graphOf({ C: [], D: [] }, { C: 6, D: 8 });
  assert.deepEqual(run(g, [['popularity_contest'], ['limit_layers', 100000], ['reverse'], ['limit_layers', 2]]), [['D', 'C']]);
  // The empty graph itself never becomes a layer.
  assert.deepEqual(run(g, [['popularity_contest'], ['limit_layers', 100000]]), [['C'], ['D']]);
  assert.deepEqual(run(g, [['popularity_contest'], ['limit_layers', 3], ['reverse']]), [['D'], ['C']]);
});
