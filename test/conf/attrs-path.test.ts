import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defaultAttrsPath } from '../../src/conf/attrs-path.ts';

test('$NIX_ATTRS_JSON_FILE first, then $NIX_BUILD_TOP/.attrs.json, else one line saying where to run', () => {
  assert.equal(defaultAttrsPath('x', { NIX_ATTRS_JSON_FILE: '/b/attrs.json', NIX_BUILD_TOP: '/b' }), '/b/attrs.json');
  assert.equal(defaultAttrsPath('x', { NIX_BUILD_TOP: '/build' }), '/build/.attrs.json');
  assert.throws(() => defaultAttrsPath('the buildImage archive derivation', {}), {
    name: 'UserError',
    message: 'no .attrs.json: run inside the buildImage archive derivation, or pass --attrs FILE',
  });
});
