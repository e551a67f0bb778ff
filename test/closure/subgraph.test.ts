import { test } from 'node:test';
import assert from 'node:assert/strict';
import { closureOfRoots } from '../../src/closure/subgraph.ts';

const node = (path: string, references: string[]) => ({ path, narSize: 1, references });
const nodes = [node('base', ['app']), node('app', ['lib', 'app']), node('lib', []), node('shadowed', ['lib2']), node('lib2', []), node('layer', ['app'])];

test('keeps what the roots reach, in input order; cycles and self-references end', () => {
  assert.deepEqual(closureOfRoots(nodes, ['layer', 'base']).map((n) => n.path), ['base', 'app', 'lib', 'layer']);
  assert.deepEqual(closureOfRoots(nodes, ['shadowed']).map((n) => n.path), ['shadowed', 'lib2']);
});

test('unknown roots reach nothing', () => {
  assert.deepEqual(closureOfRoots(nodes, ['missing']), []);
});
