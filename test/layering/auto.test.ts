import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createClosureGraph } from '../../src/closure/graph.ts';
import { autoLayerTable, autoStrategy } from '../../src/layering/auto.ts';
import { shuffled } from './fixture.ts';

// §6.3: hash letters a…i, sizes in arbitrary units.
const s = (hash: string, name: string): string => `/nix/store/${hash}-${name}`;
const glibc = s('a', 'glibc-2.40'); const openssl = s('b', 'openssl-3.0'); const zlib = s('c', 'zlib-1.3');
const python3 = s('d', 'python3-3.12'); const app = s('f', 'app-1.0'); const libfoo = s('g', 'libfoo-2.0');
const baseJson = s('h', 'img-base.json'); const cust = s('i', 'img-customisation-layer');
const nodes = [
  { path: glibc, narSize: 50, references: [] },
  { path: openssl, narSize: 40, references: [glibc] },
  { path: zlib, narSize: 5, references: [glibc] },
  { path: python3, narSize: 100, references: [glibc, openssl, zlib] },
  { path: app, narSize: 10, references: [libfoo, glibc] },
  { path: libfoo, narSize: 30, references: [glibc, zlib] },
  { path: baseJson, narSize: 1, references: [app] },
  { path: cust, narSize: 2, references: [python3, app] },
];
const graph = createClosureGraph(nodes, { source: 'test' });
const excluded = new Set([baseJson, cust]);
const short = (x: string): string => x.slice('/nix/store/a-'.length).replace(/-[\d.]+$/, '');

test('§6.3 auto table for N = 1..8', () => {
  const want: Record<number, string[][]> = {
    1: [['app', 'glibc', 'libfoo', 'openssl', 'python3', 'zlib']],
    2: [['glibc', 'openssl', 'python3', 'zlib'], ['app', 'libfoo']],
    3: [['glibc'], ['openssl', 'python3', 'zlib'], ['app', 'libfoo']],
    4: [['glibc'], ['openssl'], ['python3', 'zlib'], ['app', 'libfoo']],
    5: [['glibc'], ['openssl'], ['python3', 'zlib'], ['app', 'libfoo']],
    6: [['glibc'], ['zlib'], ['libfoo'], ['openssl'], ['python3'], ['app']],
    7: [['glibc'], ['zlib'], ['libfoo'], ['openssl'], ['app'], ['python3']],
    8: [['glibc'], ['zlib'], ['libfoo'], ['openssl'], ['app'], ['python3']],
  };
  for (let n = 1; n <= 8; n++) {
    assert.deepEqual(autoStrategy(graph, n, { excluded }).map((l) => l.map(short)), want[n], `N=${n}`);
  }
});

test('§6.3 closure sizes and the dropped root layers', () => {
  const sizes = (n: number) => autoLayerTable(graph, n).map((r) => r.closureSize);
  assert.deepEqual(sizes(2), [195, 238]);
  assert.deepEqual(sizes(3), [50, 195, 238]);
  assert.deepEqual(sizes(4), [50, 90, 195, 238]);
  assert.deepEqual(sizes(6), [50, 55, 85, 90, 195, 238]);
  assert.deepEqual(sizes(7), [50, 55, 85, 90, 95, 195, 238]);
  assert.deepEqual(sizes(8), [50, 55, 85, 90, 95, 96, 195, 237]);
  assert.deepEqual(autoLayerTable(graph, 8).find((r) => r.closureSize === 96)?.paths, [baseJson]);
});

test('paths inside a layer are in name-key order; debug rows carry usedBy and sizes', () => {
  const table = autoLayerTable(graph, 2);
  assert.deepEqual(table[0], { usedBy: [python3], paths: [glibc, openssl, python3, zlib], layerSize: 195, closureSize: 195 });
  assert.deepEqual(table[1]!.paths, [app, baseJson, cust, libfoo]);
  assert.deepEqual(table[1]!.usedBy, []);
  // N = 6 stops before app: zlib is shared by libfoo and python3 (the "libfoo" row of §6.3).
  assert.deepEqual(autoLayerTable(graph, 6).map((r) => r.usedBy), [[glibc], [libfoo, python3], [libfoo], [openssl], [python3], []]);
  let printed = '';
  autoStrategy(graph, 2, { excluded, debug: (t) => { printed += t; } });
  assert.deepEqual(JSON.parse(printed), table);
});

test('conservation: Σ layerSize = Σ narSize for every budget', () => {
  const total = nodes.reduce((sum, n) => sum + n.narSize, 0);
  for (let n = 1; n <= 12; n++) {
    const table = autoLayerTable(graph, n);
    assert.equal(table.reduce((sum, r) => sum + r.layerSize, 0), total, `N=${n}`);
    assert.equal(new Set(table.flatMap((r) => r.paths)).size, nodes.length);
  }
});

test('candidate ties: descending path; layer ties: nixpkgs\' order (CPython set order, PYTHONHASHSEED=0), not names', () => {
  // Two unrelated paths of equal size and equal closureSize: with N=3 both become primaries.
  const x = '/nix/store/b-alpha'; const y = '/nix/store/a-beta'; const r = '/nix/store/c-root';
  const g = createClosureGraph([
    { path: x, narSize: 5, references: [] }, { path: y, narSize: 5, references: [] },
    { path: r, narSize: 1, references: [x, y] },
  ], { source: 'test' });
  // Candidates: b-alpha (path > a-beta), then a-beta; both accepted with N=3. nixpkgs' auto-layer.py
  // gives [[a-beta], [b-alpha]] here; the name key would put alpha first.
  assert.deepEqual(autoStrategy(g, 3, { excluded: new Set([r]) }), [[y], [x]]);
  // With N=2 only the first candidate (descending path: b-alpha) becomes a primary.
  assert.deepEqual(autoLayerTable(g, 2).map((row) => row.usedBy), [[x], []]);
});

test('deterministic when the input is shuffled', () => {
  const want = JSON.stringify([1, 2, 3, 4, 5, 6, 7, 8].map((n) => autoStrategy(graph, n, { excluded })));
  for (let seed = 1; seed <= 6; seed++) {
    const g = createClosureGraph(shuffled(nodes, seed), { source: 'test' });
    assert.equal(JSON.stringify([1, 2, 3, 4, 5, 6, 7, 8].map((n) => autoStrategy(g, n, { excluded }))), want, `seed ${seed}`);
  }
});

test('issue 14: two 4,096-byte layers beside a 395 MB one come in nixpkgs\' order, [libb] before [liba]', () => {
  const liba = `/nix/store/${'a'.repeat(32)}-liba`; const libb = `/nix/store/${'b'.repeat(32)}-libb`; const big = `/nix/store/${'z'.repeat(32)}-big`;
  const g = createClosureGraph([
    { path: liba, narSize: 4096, references: [] }, { path: libb, narSize: 4096, references: [] }, { path: big, narSize: 395_000_000, references: [] },
  ], { source: 'test' });
  // What PYTHONHASHSEED=0 python3 auto-layer.py prints for this graph with layer_limit 100.
  assert.deepEqual(autoStrategy(g, 100, { excluded: new Set() }), [[libb], [liba], [big]]);
});
