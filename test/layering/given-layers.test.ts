// Planning with given layers (buildLayer's, `layers`): their paths leave the closure before the
// strategies or a pipeline run, their count takes from maxLayers and from Docker's 125, and the
// conf lists them parents first, each once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createClosureGraph, withoutPaths } from '../../src/closure/graph.ts';
import { givenLayersOf, heldPaths, type LayerJson } from '../../src/conf/layer-json.ts';
import type { Digest } from '../../src/digest/digest.ts';
import { UserError } from '../../src/errors.ts';
import { checkLayerLimit } from '../../src/image/layer-limit.ts';
import { planLayers, storeLayerBudget } from '../../src/layering/plan.ts';
import { p } from './fixture.ts';

// app -> lib -> libc, tool -> libc, big (alone); libc and lib are held by given layers.
const libc = p('00000000000000000000000000000001-libc');
const lib = p('00000000000000000000000000000002-lib');
const app = p('00000000000000000000000000000003-app');
const tool = p('00000000000000000000000000000004-tool');
const big = p('00000000000000000000000000000005-big');
const graph = createClosureGraph([
  { path: libc, narSize: 100, references: [] },
  { path: lib, narSize: 50, references: [libc] },
  { path: app, narSize: 10, references: [lib] },
  { path: tool, narSize: 20, references: [libc] },
  { path: big, narSize: 1000, references: [] },
], { source: 'test' });
const given = { layerCount: 2, paths: new Set([libc, lib]) };

test('given paths are in no automatic layer, every other path in exactly one (both strategies and a pipeline)', () => {
  for (const options of [{ strategy: 'popularity' as const }, { strategy: 'auto' as const }, { pipeline: [['popularity_contest'], ['limit_layers', 2]] }]) {
    const layers = planLayers(graph, { maxLayers: 100, given, ...options });
    const placed = layers.flat();
    assert.deepEqual([...placed].sort(), [app, tool, big], JSON.stringify(options));
    assert.equal(new Set(placed).size, placed.length);
  }
});

test('the rest is layered as if the given paths were never in the closure', () => {
  const without = withoutPaths(graph, given.paths);
  assert.deepEqual(without.nodes.map((n) => n.path), [app, tool, big]);
  assert.deepEqual(without.nodes.map((n) => n.references), [[], [], []]);
  for (const strategy of ['popularity', 'auto'] as const) {
    assert.deepEqual(planLayers(graph, { strategy, maxLayers: 4, given }), planLayers(without, { strategy, maxLayers: 2 }));
  }
});

test('maxLayers counts the given layers: base + given + store + customisation ≤ maxLayers', () => {
  // 1 base + 2 given + 1 customisation of 6: two store layers are left.
  assert.equal(planLayers(graph, { maxLayers: 6, baseLayerCount: 1, given }).length, 2);
  assert.equal(storeLayerBudget(6, 1, 2), 2);
  assert.throws(() => storeLayerBudget(4, 1, 2), (e: unknown) => e instanceof UserError
    && e.message === 'maxLayers=4 leaves no layer for store paths: 4 layers are already used (1 from fromImage + 2 given in `layers` + 1 customisation layer); raise maxLayers to at least 5');
});

test("Docker's 125-layer check counts the given layers", () => {
  checkLayerLimit({ base: 100, given: 24, own: { count: 1, what: 'customisation layer' } });
  assert.throws(() => checkLayerLimit({ base: 100, given: 25, own: { count: 1, what: 'customisation layer' } }),
    (e: unknown) => e instanceof UserError && /^the image would have 126 layers \(100 from fromImage, 25 given in `layers`, 1 customisation layer\)/.test(e.message));
});

// layer.json values for a chain: base <- mid <- top, and side <- base.
const digest = ('sha256:' + '0'.repeat(64)) as Digest;
const layerJson = (paths: string[], layers: string[], parents: string[]): LayerJson => ({
  version: 1, diffId: digest, size: 10240, paths, root: false, compression: 'gzip', blob: 'layer.tar.gz', digest, blobSize: 1,
  layers, parents, owner: { uid: 0, gid: 0, uname: 'root', gname: 'root' }, mtime: 1,
});
const store: Record<string, LayerJson> = {
  '/l/base': layerJson([libc], [], []),
  '/l/mid': layerJson([lib], ['/l/base'], [libc]),
  '/l/top': layerJson([app], ['/l/mid'], [libc, lib]),
  '/l/side': layerJson([tool], ['/l/base'], [libc]),
};
const read = async (dir: string): Promise<LayerJson> => store[dir] ?? assert.fail(`read ${dir}`);

test('given layers come parents first, in list order, each once', async () => {
  const order = async (dirs: string[]) => (await givenLayersOf(dirs, read)).map((l) => l.dir);
  assert.deepEqual(await order(['/l/top']), ['/l/base', '/l/mid', '/l/top']);
  assert.deepEqual(await order(['/l/side', '/l/top']), ['/l/base', '/l/side', '/l/mid', '/l/top']);
  assert.deepEqual(await order(['/l/top', '/l/mid', '/l/base', '/l/top']), ['/l/base', '/l/mid', '/l/top']);
  assert.deepEqual([...heldPaths(await givenLayersOf(['/l/top', '/l/side'], read))].sort(), [libc, lib, app, tool].sort());
});

test('a layer that is its own parent fails in one line naming the chain', async () => {
  const loop: Record<string, LayerJson> = { '/l/a': layerJson([libc], ['/l/b'], []), '/l/b': layerJson([lib], ['/l/a'], []) };
  await assert.rejects(givenLayersOf(['/l/a'], async (dir) => loop[dir]!), (e: unknown) => e instanceof UserError && e.message === 'buildLayer /l/a is its own parent (/l/a -> /l/b -> /l/a); rebuild the layers');
});
