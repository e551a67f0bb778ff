import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultAttrsPath } from '../../src/conf/attrs-path.ts';

test('$NIX_BUILD_TOP/.attrs.json when it exists (Nix < 2.15 in the sandbox: the variable is the host path), then $NIX_ATTRS_JSON_FILE, else one line saying where to run', async () => {
  const buildTop = await mkdtemp(join(tmpdir(), 'attrs-path-'));
  try {
    // The build dir has no .attrs.json yet: the variable is all there is.
    assert.equal(defaultAttrsPath('x', { NIX_ATTRS_JSON_FILE: '/host/tmp/nix-build-x/.attrs.json', NIX_BUILD_TOP: buildTop }), '/host/tmp/nix-build-x/.attrs.json');
    await writeFile(join(buildTop, '.attrs.json'), '{}');
    assert.equal(defaultAttrsPath('x', { NIX_ATTRS_JSON_FILE: '/host/tmp/nix-build-x/.attrs.json', NIX_BUILD_TOP: buildTop }), join(buildTop, '.attrs.json'));
    assert.equal(defaultAttrsPath('x', { NIX_BUILD_TOP: buildTop }), join(buildTop, '.attrs.json'));
  } finally {
    await rm(buildTop, { recursive: true, force: true });
  }
  assert.equal(defaultAttrsPath('x', { NIX_BUILD_TOP: '/nonexistent-build' }), '/nonexistent-build/.attrs.json');
  assert.throws(() => defaultAttrsPath('the buildImage archive derivation', {}), {
    name: 'UserError',
    message: 'no .attrs.json: run inside the buildImage archive derivation, or pass --attrs FILE',
  });
});
