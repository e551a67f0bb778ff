// `nix-strata conf` building the customisation layer itself (spec.customisationContents):
// the layer's bytes, the conf in the `conf` output, the graph cut to what the layer reaches,
// and nothing left behind when the build fails.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { buildConf } from '../../src/steps/conf.ts';
import { customise } from '../../src/customisation/customise.ts';
import { silentLogger } from '../../src/log.ts';
import { makeFixture, type Fixture } from '../faults/fixture.ts';

const fixtures: Fixture[] = [];
after(() => Promise.all(fixtures.map((f) => rm(f.work, { recursive: true, force: true }))));

/**
 * The fixture's store plus `shadow`, whose only file is shadowed by `app` (first element wins),
 * with attrs for a derivation whose `out` is the layer and `conf` the conf.
 */
async function inConfFixture(spec: Record<string, unknown> = {}) {
  const f = await makeFixture();
  fixtures.push(f);
  const shadow = join(f.storeDir, `${'0'.repeat(31)}c-shadow`);
  await mkdir(join(shadow, 'bin'), { recursive: true });
  await writeFile(join(shadow, 'bin', 'app'), 'shadowed\n');
  const layerDir = join(f.storeDir, `${'1'.repeat(32)}-img-customisation-layer`);
  const confOut = join(f.storeDir, `${'2'.repeat(32)}-img-customisation-layer-conf`);
  const attrs = JSON.parse(await readFile(f.attrsPath, 'utf8')) as { spec: Record<string, unknown>; closure: unknown[]; outputs: unknown };
  attrs.spec = { ...attrs.spec, tag: null, customisationLayer: layerDir, customisationContents: [f.app, shadow], ...spec };
  attrs.closure.push({ path: shadow, narHash: 'sha256-shadow', narSize: 10, references: [] });
  attrs.outputs = { out: layerDir, conf: confOut };
  await writeFile(f.attrsPath, JSON.stringify(attrs));
  return { ...f, shadow, layerDir, confOut };
}

test('writes the layer to spec.customisationLayer and the conf to outputs.conf; the tag is the conf output\'s hash', async () => {
  const f = await inConfFixture();
  const conf = await buildConf({ attrsPath: f.attrsPath, log: silentLogger });
  assert.equal(conf.repoTag, `strata-faults:${'2'.repeat(32)}`);
  assert.equal(conf.customisationLayer, f.layerDir);
  assert.deepEqual(JSON.parse(await readFile(f.confOut, 'utf8')).customisationLayer, f.layerDir);
  // Same bytes as `nix-strata customise` (the separate derivation's one-process path).
  const reference = join(f.work, 'reference');
  await customise({ into: join(f.work, 'tree'), elements: [f.app, f.shadow], outDir: reference, log: silentLogger });
  for (const name of ['layer.tar', 'checksum']) {
    assert.deepEqual(await readFile(join(f.layerDir, name)), await readFile(join(reference, name)), name);
  }
});

test('the image holds what the layer reaches: a fully shadowed contents element is left out', async () => {
  const f = await inConfFixture();
  const conf = await buildConf({ attrsPath: f.attrsPath, log: silentLogger });
  const paths = conf.storeLayers.flatMap((layer) => layer.paths).sort();
  // Every path has a narHash in the graph: each layer records its content key for the push.
  for (const layer of conf.storeLayers) assert.match(layer.contentKey ?? '', /^sha256:[0-9a-f]{64}$/);
  assert.deepEqual(paths, [f.lib, f.app].sort());
});

test('a failing conf build removes the layer it wrote and writes no conf', async () => {
  const f = await inConfFixture({ maxLayers: 1 });
  await assert.rejects(buildConf({ attrsPath: f.attrsPath, log: silentLogger }), /maxLayers/);
  assert.equal(existsSync(f.layerDir), false);
  assert.equal(existsSync(f.confOut), false);
});

test('an existing directory at spec.customisationLayer is refused and kept', async () => {
  const f = await inConfFixture();
  await mkdir(f.layerDir);
  await writeFile(join(f.layerDir, 'keep'), 'mine');
  await assert.rejects(buildConf({ attrsPath: f.attrsPath, log: silentLogger }), /already exists/);
  assert.equal(await readFile(join(f.layerDir, 'keep'), 'utf8'), 'mine');
});
