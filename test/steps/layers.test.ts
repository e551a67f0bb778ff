import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { planLayersFromFiles } from '../../src/steps/layers.ts';
import { UserError } from '../../src/errors.ts';

const dir = mkdtempSync(join(tmpdir(), 'nix-strata-layers-'));
const p = (n: string): string => `/nix/store/${n}`;
const graphFile = join(dir, 'graph.json');
writeFileSync(graphFile, JSON.stringify([
  { path: p('Root1'), narSize: 1, references: [p('A')] },
  { path: p('A'), narSize: 1, references: [p('B')] },
  { path: p('B'), narSize: 1, references: [] },
  { path: p('Root2'), narSize: 1, references: [] },
  { path: p('x-base.json'), narSize: 1, references: [p('Root1'), p('Root2')] },
]));
const pipelineFile = join(dir, 'pipeline.json');
writeFileSync(pipelineFile, JSON.stringify([['popularity_contest'], ['reverse'], ['limit_layers', 3]]));
const base = { graphFile, maxLayers: 100, strategy: 'popularity', excluded: [p('x-base.json')], baseLayerCount: 0 };

test('planLayersFromFiles: strategy and pipeline', async () => {
  assert.deepEqual(await planLayersFromFiles(base), [[p('B')], [p('A')], [p('Root1')], [p('Root2')]]);
  assert.deepEqual(await planLayersFromFiles({ ...base, maxLayers: 3 }), [[p('B')], [p('A'), p('Root1'), p('Root2')]]);
  assert.deepEqual(await planLayersFromFiles({ ...base, pipelineFile }), [[p('Root2')], [p('Root1')], [p('A'), p('B')]]);
});

test('planLayersFromFiles: graph inside a .attrs.json', async () => {
  const attrsFile = join(dir, 'attrs.json');
  writeFileSync(attrsFile, JSON.stringify({ closure: [{ path: p('x-one'), narSize: 1, references: [] }], outputs: { out: p('out') } }));
  assert.deepEqual(await planLayersFromFiles({ ...base, graphFile: attrsFile, attr: 'closure' }), [[p('x-one')]]);
});

test('planLayersFromFiles: input errors', async () => {
  await assert.rejects(planLayersFromFiles({ ...base, strategy: 'size' }), (e: unknown) => e instanceof UserError && /--strategy "size" is not a strategy; use popularity or auto/.test(e.message));
  await assert.rejects(planLayersFromFiles({ ...base, graphFile: join(dir, 'missing.json') }), (e: unknown) => e instanceof UserError && e.message.startsWith(`cannot read closure graph ${join(dir, 'missing.json')}: `));
  const bad = join(dir, 'bad-pipeline.json');
  writeFileSync(bad, '[[');
  await assert.rejects(planLayersFromFiles({ ...base, pipelineFile: bad }), (e: unknown) => e instanceof UserError && e.message.startsWith(`layering pipeline ${bad} is not valid JSON: `) && e.message.endsWith("; expected a list of pipeline steps"));
});

test('CLI: nix-strata layers prints the plan as JSON on stdout', () => {
  const script = "import { main } from './src/cli/main.ts'; await main(process.argv);";
  const cli = (...args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script, 'nix-strata', 'layers', ...args], { encoding: 'utf8' });
  const ok = cli('--graph', graphFile, '--max-layers', '3', '--exclude', p('x-base.json'));
  assert.equal(ok.status, 0, ok.stderr);
  assert.deepEqual(JSON.parse(ok.stdout), [[p('B')], [p('A'), p('Root1'), p('Root2')]]);
  const budget = cli('--graph', graphFile, '--max-layers', '3', '--base-layers', '2');
  assert.equal(budget.status, 1);
  assert.equal(budget.stdout, '');
  assert.match(budget.stderr, /^nix-strata: maxLayers=3 leaves no layer for store paths: 3 layers are already used .*raise maxLayers to at least 4\n$/);
});
