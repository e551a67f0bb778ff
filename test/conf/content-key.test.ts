// Content keys: fixed by the paths' narHashes and what else fixes the tar bytes, not by order.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createClosureGraph } from '../../src/closure/graph.ts';
import { customisationLayerKey, storeContentKey, storeLayerKey } from '../../src/conf/content-key.ts';

const A = '/nix/store/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-a';
const B = '/nix/store/bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb-b';
const graph = (narHashB: string | undefined) => createClosureGraph([
  { path: A, narSize: 1, narHash: 'sha256-a', references: [] },
  { path: B, narSize: 1, ...(narHashB === undefined ? {} : { narHash: narHashB }), references: [] },
], { source: 'test' });
const owner = { uid: 0, gid: 0, uname: 'root', gname: 'root' };

test('a store content key ignores path order and follows every narHash', () => {
  const key = storeContentKey(graph('sha256-b'), [A, B]);
  assert.match(key!, /^sha256:[0-9a-f]{64}$/);
  assert.equal(storeContentKey(graph('sha256-b'), [B, A]), key);
  assert.notEqual(storeContentKey(graph('sha256-c'), [A, B]), key);
  assert.notEqual(storeContentKey(graph('sha256-b'), [A]), key);
});

test('no content key when a path has no narHash (a legacy graph)', () => {
  assert.equal(storeContentKey(graph(undefined), [A, B]), undefined);
  assert.equal(storeContentKey(graph('sha256-b'), ['/nix/store/cccccccccccccccccccccccccccccccc-not-in-graph']), undefined);
});

test('a store layer key changes with the owner and the mtime; the customisation key with its diff_id', () => {
  const content = storeContentKey(graph('sha256-b'), [A, B])!;
  const key = storeLayerKey(content, owner, 1);
  assert.notEqual(storeLayerKey(content, owner, 2), key);
  assert.notEqual(storeLayerKey(content, { ...owner, uid: 1000 }, 1), key);
  assert.notEqual(storeLayerKey(content, { ...owner, gname: 'wheel' }, 1), key);
  assert.notEqual(customisationLayerKey(`sha256:${'1'.repeat(64)}`), customisationLayerKey(`sha256:${'2'.repeat(64)}`));
});
