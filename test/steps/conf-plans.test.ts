// The store layers' plans made at build time (steps/layer-plans.ts): `nix-strata conf` writes
// each layer's size and recorded walk to the plan file, the stream gives the same bytes with or
// without them, and a plan that no longer matches the tree fails the stream instead of writing
// a wrong archive.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { readConf } from '../../src/conf/conf.ts';
import { planFile, readLayerPlans } from '../../src/steps/layer-plans.ts';
import { storeLayerPlan } from '../../src/tar/store-layer.ts';
import { execa } from 'execa';
import { makeFixture, runCli, assertCleanFailure, assertNothingLeft, type Fixture } from '../faults/fixture.ts';

const fixtures: Fixture[] = [];
after(() => Promise.all(fixtures.map((f) => rm(f.work, { recursive: true, force: true }))));

const OWNER = { uid: 0, gid: 0, uname: 'root', gname: 'root', mtime: 1 };

async function fixture(): Promise<Fixture & { planPath: string }> {
  const f = await makeFixture();
  fixtures.push(f);
  return { ...f, planPath: join(f.work, 'plan') };
}

async function streamToFile(f: Fixture, conf: string, name: string) {
  const output = join(f.work, name);
  const result = await runCli(['stream', '-q', '--conf', conf, '--output', output]);
  return { result, output };
}

test('conf --plan records every store layer: its size and walk, as storeLayerPlan makes them', async () => {
  const f = await fixture();
  const result = await runCli(['conf', '--attrs', f.attrsPath, '--out', f.confPath, '--plan', f.planPath]);
  assert.equal(result.exitCode, 0, String(result.stderr));
  const conf = await readConf(f.confPath);
  assert.equal(conf.plan, f.planPath);
  const plans = readLayerPlans(conf.plan, conf.storeLayers);
  assert.equal(plans.length, conf.storeLayers.length);
  for (const [i, layer] of conf.storeLayers.entries()) {
    const expected = storeLayerPlan(layer.paths, OWNER);
    assert.equal(plans[i]?.size, expected.size, `layer ${i} size`);
    assert.deepEqual(plans[i]?.walk, expected.walk, `layer ${i} walk`);
  }
});

test('the stream gives the same archive from planned layers, from a conf without plans, and when the plan file is gone', async () => {
  const f = await fixture();
  const planned = join(f.work, 'planned.json');
  assert.equal((await runCli(['conf', '--attrs', f.attrsPath, '--out', planned, '--plan', f.planPath])).exitCode, 0);
  assert.equal((await runCli(['conf', '--attrs', f.attrsPath, '--out', f.confPath])).exitCode, 0);
  assert.equal((await readConf(f.confPath)).plan, undefined);
  const withPlans = await streamToFile(f, planned, 'with.tar');
  const without = await streamToFile(f, f.confPath, 'without.tar');
  assert.equal(withPlans.result.exitCode, 0, String(withPlans.result.stderr));
  assert.equal(without.result.exitCode, 0, String(without.result.stderr));
  assert.deepEqual(await readFile(withPlans.output), await readFile(without.output));
  await rm(f.planPath);
  const lost = await streamToFile(f, planned, 'lost.tar');
  assert.equal(lost.result.exitCode, 0, String(lost.result.stderr));
  assert.deepEqual(await readFile(lost.output), await readFile(without.output));
});

test('a planned size the tree no longer has fails the stream in one line, leaving no output', async () => {
  const f = await fixture();
  assert.equal((await runCli(['conf', '--attrs', f.attrsPath, '--out', f.confPath, '--plan', f.planPath])).exitCode, 0);
  const conf = JSON.parse(await readFile(f.confPath, 'utf8')) as { storeLayers: Array<{ planned: { size: number } }> };
  conf.storeLayers[0]!.planned.size += 512;
  await writeFile(f.confPath, JSON.stringify(conf));
  const { result, output } = await streamToFile(f, f.confPath, 'out.tar');
  assertCleanFailure(result, /changed while streamed|announced/);
  await assert.rejects(readFile(output), { code: 'ENOENT' });
});

test('conf --plan: a fifo inside a store path fails the build in one line, leaving neither conf nor plan', async () => {
  const f = await fixture();
  await execa('mkfifo', [join(f.lib, 'share', 'pipe')]);
  const result = await runCli(['conf', '--attrs', f.attrsPath, '--out', f.confPath, '--plan', f.planPath]);
  assertCleanFailure(result, /share\/pipe is a FIFO/);
  await assertNothingLeft(f.work, 'conf.json');
  await assertNothingLeft(f.work, 'plan');
});

test('a malformed plan record is refused when the conf is read', async () => {
  const f = await fixture();
  assert.equal((await runCli(['conf', '--attrs', f.attrsPath, '--out', f.confPath, '--plan', f.planPath])).exitCode, 0);
  const conf = JSON.parse(await readFile(f.confPath, 'utf8')) as { storeLayers: Array<{ planned: unknown }> };
  conf.storeLayers[0]!.planned = { size: 1024, walk: [0, -1] };
  await writeFile(f.confPath, JSON.stringify(conf));
  await assert.rejects(readConf(f.confPath), /storeLayers\[0\]\.planned must be/);
});

test('the plan file holds the walks one after another, each record pointing at its own', async () => {
  const f = await fixture();
  const layers = [[f.lib], [f.app], [f.lib, f.app]];
  const plans = layers.map((paths) => storeLayerPlan(paths, OWNER));
  const { bytes, records } = planFile(plans);
  assert.equal(bytes.length, plans.reduce((sum, plan) => sum + (plan.walk?.length ?? 0), 0));
  for (const [i, record] of records.entries()) {
    assert.equal(record.size, plans[i]!.size);
    assert.deepEqual(bytes.subarray(record.walk![0], record.walk![0] + record.walk![1]), plans[i]!.walk);
  }
  // A layer whose walk outgrew the record limit keeps its size alone, and takes no bytes.
  const { records: sizeOnly } = planFile([{ size: 10240, walk: undefined }, plans[0]!]);
  assert.deepEqual(sizeOnly, [{ size: 10240 }, { size: plans[0]!.size, walk: [0, plans[0]!.walk!.length] }]);
});
