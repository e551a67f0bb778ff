import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createClosureGraph, type ClosureGraph } from '../../src/closure/graph.ts';
import { UserError } from '../../src/errors.ts';
import { planLayers, storeLayerBudget } from '../../src/layering/plan.ts';
import { strategies, isStrategyName } from '../../src/layering/strategies.ts';
import { p, shuffled } from './fixture.ts';

// A closure of `count` paths under two excluded roots: a chain with some fan-out, varied sizes.
function closure(count: number): { graph: ClosureGraph; excluded: string[] } {
  const path = (i: number) => p(`${String(i).padStart(32, '0')}-pkg${i % 7}-1.${i}`);
  const nodes = Array.from({ length: count }, (_, i) => ({
    path: path(i),
    narSize: ((i * 7919) % 1000) + 1,
    references: [i + 1, i + 3, i * 2 + 5].filter((j) => j < count && j !== i).map(path),
  }));
  const tops = nodes.slice(0, Math.min(3, count)).map((n) => n.path);
  const excluded = [p('zzzz-base.json'), p('zzzz-customisation-layer')];
  nodes.push({ path: excluded[0]!, narSize: 1, references: tops.slice(0, 1) });
  nodes.push({ path: excluded[1]!, narSize: 5000, references: tops });
  return { graph: createClosureGraph(nodes, { source: 'test' }), excluded };
}

function assertConservation(graph: ClosureGraph, excluded: string[], layers: string[][], label: string): void {
  const placed = layers.flat();
  assert.equal(new Set(placed).size, placed.length, `${label}: a path placed twice`);
  const want = graph.nodes.map((n) => n.path).filter((x) => !excluded.includes(x)).sort();
  assert.deepEqual([...placed].sort(), want, `${label}: every path in exactly one layer`);
  assert.ok(layers.every((l) => l.length > 0), `${label}: no empty layer`);
}

test('budgets 0, 1, N−1, N, N+1 and 150 paths: conservation and layer count (both strategies)', () => {
  for (const maxLayers of [2, 3, 10, 100]) {
    const budget = maxLayers - 1;
    for (const count of [0, 1, budget - 1, budget, budget + 1, 150]) {
      if (count < 0) continue;
      const { graph, excluded } = closure(count);
      for (const strategy of ['popularity', 'auto'] as const) {
        const label = `${strategy} maxLayers=${maxLayers} paths=${count}`;
        const layers = planLayers(graph, { strategy, maxLayers, excluded });
        assertConservation(graph, excluded, layers, label);
        assert.ok(layers.length <= budget, `${label}: ${layers.length} layers > N=${budget}`);
        if (strategy === 'popularity') assert.equal(layers.length, Math.min(count, budget), label);
      }
    }
  }
});

test('popularity with N = 1 puts everything into one bulk layer; with room, one path per layer', () => {
  const { graph, excluded } = closure(150);
  assert.equal(planLayers(graph, { maxLayers: 2, excluded }).length, 1);
  const wide = planLayers(graph, { maxLayers: 200, excluded });
  assert.equal(wide.length, 150);
  assert.ok(wide.every((l) => l.length === 1));
});

test('base layers reduce the budget: maxLayers = 4 on a 2-layer base gives one store layer', () => {
  const { graph, excluded } = closure(10);
  assert.equal(planLayers(graph, { maxLayers: 4, baseLayerCount: 2, excluded }).length, 1);
  assert.equal(planLayers(graph, { maxLayers: 6, baseLayerCount: 2, excluded }).length, 3);
});

test('budget errors: one line with the numbers and the fix', () => {
  const cases: [number, number, string][] = [
    [1, 0, 'maxLayers=1 leaves no layer for store paths: 1 layer is already used (0 from fromImage + 1 customisation layer); raise maxLayers to at least 2'],
    [0, 0, 'maxLayers=0 leaves no layer for store paths: 1 layer is already used (0 from fromImage + 1 customisation layer); raise maxLayers to at least 2'],
    [3, 2, 'maxLayers=3 leaves no layer for store paths: 3 layers are already used (2 from fromImage + 1 customisation layer); raise maxLayers to at least 4'],
  ];
  for (const [maxLayers, base, message] of cases) {
    assert.throws(() => storeLayerBudget(maxLayers, base), (e: unknown) => e instanceof UserError && e.message === message);
    assert.throws(() => planLayers(closure(3).graph, { maxLayers, baseLayerCount: base }), UserError);
  }
  assert.throws(() => storeLayerBudget(2.5, 0), /^UserError: maxLayers must be an integer, got 2\.5; use a whole number such as 100$/);
  assert.equal(storeLayerBudget(4, 2), 1);
  assert.equal(storeLayerBudget(100, 0), 99);
  // A pipeline ignores maxLayers and the base count entirely.
  assert.equal(planLayers(closure(3).graph, { maxLayers: 0, baseLayerCount: 5, pipeline: [['split_every', 1]] }).length, 5);
});

test('empty graph (includeStorePaths = false) → [] for both strategies', () => {
  const empty = createClosureGraph([], { source: 'test' });
  assert.deepEqual(planLayers(empty, { maxLayers: 100 }), []);
  assert.deepEqual(planLayers(empty, { maxLayers: 100, strategy: 'auto' }), []);
});

test('only excluded roots → []', () => {
  const g = createClosureGraph([{ path: p('a-base.json'), narSize: 1, references: [] }, { path: p('b-cust'), narSize: 1, references: [] }], { source: 'test' });
  for (const strategy of ['popularity', 'auto'] as const) {
    assert.deepEqual(planLayers(g, { maxLayers: 100, strategy, excluded: [p('a-base.json'), p('b-cust')] }), []);
  }
});

test('the plan does not depend on the input order (shuffled arrays)', () => {
  const { graph, excluded } = closure(150);
  for (const strategy of ['popularity', 'auto'] as const) {
    for (const maxLayers of [2, 10, 40]) {
      const want = planLayers(graph, { strategy, maxLayers, excluded });
      for (let seed = 1; seed <= 3; seed++) {
        const g = createClosureGraph(shuffled(graph.nodes, seed), { source: 'test' });
        assert.deepEqual(planLayers(g, { strategy, maxLayers, excluded }), want, `${strategy} ${maxLayers} seed ${seed}`);
      }
    }
  }
});

test('debug output: popularity summary and auto table', () => {
  const { graph, excluded } = closure(5);
  let text = '';
  planLayers(graph, { maxLayers: 3, excluded, debug: (t) => { text += t; } });
  assert.match(text, /^popularity: 5 paths, budget 2, 2 store layers\n1  layer 1  popularity \d+  \/nix\/store\//);
  text = '';
  planLayers(graph, { maxLayers: 3, excluded, strategy: 'auto', debug: (t) => { text += t; } });
  const rows = JSON.parse(text) as { usedBy: string[]; paths: string[]; layerSize: number; closureSize: number }[];
  assert.deepEqual(Object.keys(rows[0]!), ['usedBy', 'paths', 'layerSize', 'closureSize']);
});

test('registry names the two strategies', () => {
  assert.deepEqual(Object.keys(strategies), ['popularity', 'auto']);
  assert.ok(isStrategyName('auto'));
  assert.ok(!isStrategyName('toString'));
});

// Its speed is the bench's business (bench/), not a test's.
test('auto: 5,000 paths are each placed once within the budget', () => {
  const { graph, excluded } = closure(5000);
  const layers = planLayers(graph, { strategy: 'auto', maxLayers: 100, excluded });
  assertConservation(graph, excluded, layers, 'auto 5000');
});
