// CPython's str and frozenset hashes with PYTHONHASHSEED=0 and its set iteration order, against
// values printed by CPython 3.11 (`PYTHONHASHSEED=0 python3 -c 'print(hash(…))'`, `list(set(…))`).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { frozensetHash, setIterationOrder, strHash } from '../../src/layering/cpython-set-order.ts';

const signed = (h: bigint): bigint => BigInt.asIntN(64, h);
const paths = Array.from({ length: 8 }, (_, i) => `/nix/store/${`${'a'.repeat(31)}${i === 0 ? 'a' : i}`}-p${i}`);

test('str hashes are SipHash-1-3 with a zero key, as CPython\'s hash() with PYTHONHASHSEED=0', () => {
  assert.equal(signed(strHash('a')), 4644417185603328019n);
  assert.equal(signed(strHash(paths[0]!)), 4703661721208851482n);
  assert.equal(signed(strHash('/nix/store/abcdefghijklmnopqrstuvwxyz012345-hello-2.12')), -2036851173711104391n);
});

test('frozenset hashes, empty and of three paths', () => {
  assert.equal(signed(frozensetHash([])), 133146708735736n);
  assert.equal(signed(frozensetHash(paths.slice(0, 3).map(strHash))), 2971466613839958106n);
  assert.equal(signed(frozensetHash([strHash('a')])), -7857795138424989601n);
});

test('set iteration order of 29 frozensets (the table grows twice), duplicates kept once', () => {
  const values: number[][] = [];
  for (let i = 0; i < 8; i++) for (let j = i + 1; j < 8; j++) values.push([i, j]);
  values.push([], [0, 1]);
  const order = setIterationOrder(values, (v) => frozensetHash(v.map((i) => strHash(paths[i]!))), (v) => v.join(','));
  assert.deepEqual(order, [[1, 3], [4, 7], [2, 7], [6, 7], [1, 5], [3, 6], [3, 7], [0, 6], [1, 7], [1, 2], [0, 7], [1, 6], [3, 5], [4, 5],
    [0, 5], [2, 4], [4, 6], [0, 4], [0, 3], [5, 7], [2, 5], [3, 4], [5, 6], [1, 4], [2, 3], [], [0, 1], [0, 2], [2, 6]]);
});
