import { test } from 'node:test';
import assert from 'node:assert/strict';
import { closureOf, createClosureGraph, depsOf, refsOf, rootsOf, usersOf } from '../../src/closure/graph.ts';
import { UserError } from '../../src/errors.ts';

const p = (n: string): string => `/nix/store/${n}`;
// A–G from layering.md §4.3 plus a self-reference on F.
const edges: Record<string, string[]> = { A: ['B', 'G'], B: ['C', 'E'], C: ['D', 'E'], D: ['F'], E: ['F'], F: ['F'], G: [] };
const graph = createClosureGraph(Object.entries(edges).map(([n, r]) => ({ path: p(n), narSize: 1, references: r.map(p) })), { source: 't' });

test('refs, deps*, users*, roots', () => {
  const cases: [string, (x: string) => string[], string, string[]][] = [
    ['refs', (x) => refsOf(graph, x), 'B', ['C', 'E']],
    ['refs without self', (x) => refsOf(graph, x), 'F', []],
    ['deps*', (x) => depsOf(graph, x), 'B', ['C', 'D', 'E', 'F']],
    ['deps* of a leaf', (x) => depsOf(graph, x), 'G', []],
    ['users*', (x) => usersOf(graph, x), 'E', ['A', 'B', 'C']],
    ['users* without self', (x) => usersOf(graph, x), 'F', ['A', 'B', 'C', 'D', 'E']],
    ['users* of the root', (x) => usersOf(graph, x), 'A', []],
  ];
  for (const [name, fn, at, want] of cases) assert.deepEqual(fn(p(at)), want.map(p), `${name}(${at})`);
  assert.deepEqual(rootsOf(graph), [p('A')]);
});

test('unknown path is a UserError naming it', () => {
  assert.throws(() => depsOf(graph, p('Z')), (e: unknown) => e instanceof UserError && e.message === `store path ${p('Z')} is not in the closure graph`);
});

test('closureOf keeps what the roots reach, roots included; cycles and self-references end', () => {
  const edgesOf: Record<string, string[]> = { base: ['app'], app: ['lib', 'app'], lib: [], shadowed: ['lib2'], lib2: [], layer: ['app'] };
  const g = createClosureGraph(Object.entries(edgesOf).map(([n, r]) => ({ path: p(n), narSize: 1, references: r.map(p) })), { source: 't' });
  const paths = (roots: string[]) => closureOf(g, roots.map(p)).map((n) => n.path);
  assert.deepEqual(paths(['layer', 'base']), ['app', 'base', 'layer', 'lib'].map(p));
  assert.deepEqual(paths(['shadowed']), ['lib2', 'shadowed'].map(p));
  assert.deepEqual(paths(['missing']), [], 'unknown roots reach nothing');
});
