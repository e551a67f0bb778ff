// UserError messages must be one line, even when they quote broken input. Found by the
// fuzzer (test/fuzz): the JSON parsers quote the offending character raw.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseClosureGraph } from '../../src/closure/parse.ts';
import { parseLossless } from '../../src/json/lossless.ts';

const oneLineUserError = (pattern: RegExp) => (error: Error) => {
  assert.equal(error.name, 'UserError', error.stack);
  assert.ok(!/[\u0000-\u001f]/.test(error.message), `control character in: ${JSON.stringify(error.message)}`);
  assert.match(error.message, pattern);
  return true;
};

test('closure graph: malformed JSON across lines and a path holding a newline give one-line messages', () => {
  assert.throws(() => parseClosureGraph('[\n  {"path": "/nix/store/a-a",,\n  "narSize": 1}\n]', { source: 'g.json' }), oneLineUserError(/^g\.json: malformed JSON/));
  const withNewline = JSON.stringify([{ path: '/nix/store/a-a', narSize: 1, references: ['/nix/store/b\nb'] }]);
  assert.throws(() => parseClosureGraph(withNewline, { source: 'g.json' }), oneLineUserError(/references \/nix\/store\/b\\nb, which is missing/));
});

// src/json/lossless.ts is outside this folder's owner's paths: this test fails until it escapes
// lossless-json's message (which quotes the bad character raw: "Invalid character '\n'").
test('parseLossless: a control character in broken JSON is escaped in the message (src/json/lossless.ts)', () => {
  assert.throws(() => parseLossless('{"a": "x\ny"}', 'cfg.json'), oneLineUserError(/^cfg\.json: not valid JSON/));
});
