import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createClosureGraph } from '../../src/closure/graph.ts';
import { UserError } from '../../src/errors.ts';
import { EPOCH, sbomPackages, sbomTimestamp } from '../../src/sbom/packages.ts';
import { app, data, fixtureSbom, glibc, graph, graphJson, hexOf, layers, lib } from './fixture.ts';

test('one package per store path of the layers, with name, version, narHash hex, references and layer', () => {
  const sbom = fixtureSbom();
  assert.deepEqual(sbom.packages.map((p) => p.path), [app, lib, glibc, data]);
  const byPath = Object.fromEntries(sbom.packages.map((p) => [p.path, p]));
  assert.deepEqual(byPath[app], { path: app, hash: 'a'.repeat(32), name: 'app', version: '1.0', narHashHex: hexOf[app], narSize: 100, references: [lib, data], layer: 3 });
  assert.equal(byPath[glibc]!.version, '2.38-27');
  assert.equal(byPath[glibc]!.layer, 2);
  assert.equal(byPath[data]!.name, 'app-data');
  assert.equal(byPath[data]!.version, '');
  for (const p of sbom.packages) assert.equal(p.narHashHex, hexOf[p.path], p.path);
  // Nothing references app: it is what the image itself refers to.
  assert.deepEqual(sbom.roots, [app]);
});

test('graph paths outside the layers (the conf, the customisation layer) are not packages, nor referenced', () => {
  const only = sbomPackages(graph, [{ position: 0, paths: [lib] }], 't');
  assert.deepEqual(only.map((p) => p.path), [lib]);
  assert.deepEqual(only[0]!.references, []);
});

test('a plan the graph does not back is one line naming the problem', () => {
  const cases: [string, () => unknown, RegExp][] = [
    ['path in two layers', () => sbomPackages(graph, [...layers, { position: 4, paths: [lib] }], 'g'), /^g: \/nix\/store\/b+-lib-2\.3 is in layer 3 and layer 4; a store path belongs to one layer$/],
    ['path missing from the graph', () => sbomPackages(graph, [{ position: 0, paths: ['/nix/store/zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz-x'] }], 'g'), /^g: 1 store path\(s\) of the layer plan are missing from the closure graph, e\.g\. \/nix\/store\/z+-x; /],
    ['no narHash', () => sbomPackages(createClosureGraph(graphJson.map(({ narHash: _, ...rest }) => rest), { source: 's' }), layers, 'g'), /^g: \/nix\/store\/a+-app-1\.0 has no narHash; /],
  ];
  for (const [name, run, message] of cases) {
    assert.throws(run, (error: unknown) => error instanceof UserError && message.test(error.message) && !error.message.includes('\n'), name);
  }
});

test('the timestamp is the image\'s created date in SPDX form, or the epoch for "now"', () => {
  assert.equal(sbomTimestamp(1), '1970-01-01T00:00:01Z');
  assert.equal(sbomTimestamp(1714979289), '2024-05-06T07:08:09Z');
  assert.equal(sbomTimestamp(undefined), EPOCH);
});
