// Canonical JSON (RFC 8785 for plain data): key order never matters, no whitespace, strings as
// ECMAScript writes them; non-integers are refused.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { canonicalJson } from '../../src/json/canonical.ts';

test('keys are sorted by UTF-16 code units at every level, whatever the insertion order', () => {
  const a = canonicalJson({ b: 1, a: [{ z: null, y: true }], 'é': 'x', A: 'up', '\u{1F600}': 0, '\uFFFF': 0 });
  const b = canonicalJson({ '\uFFFF': 0, '\u{1F600}': 0, A: 'up', 'é': 'x', a: [{ y: true, z: null }], b: 1 });
  assert.equal(a, b);
  // U+1F600 is the surrogate pair D83D DE00, which sorts before U+FFFF (RFC 8785 §3.2.3).
  assert.equal(a, '{"A":"up","a":[{"y":true,"z":null}],"b":1,"é":"x","\u{1F600}":0,"\uFFFF":0}');
});

test('strings are escaped the JSON.stringify way (RFC 8785 §3.2.2.2); empty containers are [] and {}', () => {
  assert.equal(canonicalJson(['"\\\n\u0001/€', [], {}]), '["\\"\\\\\\n\\u0001/€",[],{}]');
});

test('numbers must be safe integers', () => {
  assert.equal(canonicalJson([0, -3, 9007199254740991]), '[0,-3,9007199254740991]');
  assert.throws(() => canonicalJson(1.5), /not a safe integer/);
  assert.throws(() => canonicalJson(2 ** 53), /not a safe integer/);
});
