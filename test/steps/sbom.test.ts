// The `sbom` step through its two entries: a layered image's conf with a closure graph, and the
// SBOM derivation's .attrs.json for buildImage (with a base whose layer already holds a path).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { serializeConf, type Conf } from '../../src/conf/conf.ts';
import { silentLogger } from '../../src/log.ts';
import { readSbomAttrs, readGraphFile, writeSbom } from '../../src/steps/sbom.ts';
import { layeredArchive, member } from '../support/base-archive.ts';
import { tarOf } from '../sinks/vectors.ts';
import { assertCleanFailure, runCli } from '../faults/fixture.ts';
import { app, conf as confPath, data, glibc, graphJson, lib, path } from '../sbom/fixture.ts';
import { cycloneDxErrors, spdxProblems } from '../sbom/validators.ts';

type Json = Record<string, any>;
const work = await mkdtemp(join(tmpdir(), 'nix-strata-sbom-test-'));
after(() => rm(work, { recursive: true, force: true }));

const confOf = (fromImage: string | null): Conf => ({
  version: 1,
  repoTag: 'registry.example.com:5000/app:0123',
  architecture: 'amd64',
  config: {},
  created: '2024-05-06T07:08:09+00:00',
  mtime: 1,
  owner: { uid: 0, gid: 0, uname: 'root', gname: 'root' },
  storeDir: '/nix/store',
  givenLayers: [],
  fromImage,
  storeLayers: [{ paths: [glibc] }, { paths: [app, data, lib] }],
  customisationLayer: path('e', 'app-customisation-layer'),
});

async function documents(dir: string): Promise<{ spdx: Json; cdx: Json }> {
  assert.deepEqual((await readdir(dir)).sort(), ['sbom.cdx.json', 'sbom.spdx.json']);
  const spdxText = await readFile(join(dir, 'sbom.spdx.json'), 'utf8');
  const cdxText = await readFile(join(dir, 'sbom.cdx.json'), 'utf8');
  assert.deepEqual(spdxProblems(spdxText), []);
  assert.equal(await cycloneDxErrors(cdxText), null);
  return { spdx: JSON.parse(spdxText) as Json, cdx: JSON.parse(cdxText) as Json };
}

const layerOf = (cdx: Json): Record<string, string> =>
  Object.fromEntries((cdx.components as Json[]).map((c) => [c['bom-ref'], c.properties.find((p: Json) => p.name === 'nix-strata:layer').value]));

test('a layered image: its conf\'s store layers, counted above the base\'s layers, and the repo tag split at its last colon', async () => {
  const base = join(work, 'base.tar');
  await writeFile(base, layeredArchive(2));
  const conf = join(work, 'conf.json');
  await writeFile(conf, serializeConf(confOf(base)));
  const attrs = join(work, 'layered-attrs.json');
  const out = join(work, 'layered');
  await writeFile(attrs, JSON.stringify({ sbom: { version: 1, conf }, graph: graphJson, outputs: { out } }));
  const { spec, graph } = await readSbomAttrs(attrs);
  await writeSbom({ spec, graph, outDir: out, log: silentLogger });
  const { spdx, cdx } = await documents(out);
  assert.equal(spdx.name, 'registry.example.com:5000/app:0123');
  assert.equal(spdx.creationInfo.created, '2024-05-06T07:08:09Z');
  assert.deepEqual(cdx.metadata.component.version, '0123');
  // The conf itself is in the graph (it references the plan) but not in the image.
  assert.deepEqual(layerOf(cdx), { [app]: '3', [lib]: '3', [glibc]: '2', [data]: '3' });
});

test('buildImage: the layer\'s closure less the layer and what the base holds, in the layer above the base; "now" dates the documents at the epoch', async () => {
  const layerDir = path('9', 'docker-layer-app');
  const baseLayer = tarOf([member(`nix/store/${lib.slice(11)}/`, Buffer.alloc(0), { type: 'directory', mode: 0o755 }), member(`nix/store/${lib.slice(11)}/x`, Buffer.from('x'))]);
  const diffId = `sha256:${createHash('sha256').update(baseLayer).digest('hex')}`;
  const base = join(work, 'base-with-lib.tar');
  await writeFile(base, tarOf([
    member('0/layer.tar', baseLayer),
    member('cfg.json', Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', config: {}, rootfs: { type: 'layers', diff_ids: [diffId] } }))),
    member('manifest.json', Buffer.from(JSON.stringify([{ Config: 'cfg.json', RepoTags: ['base:1'], Layers: ['0/layer.tar'] }]))),
  ]));
  const attrs = join(work, 'attrs.json');
  const out = join(work, 'single');
  await writeFile(attrs, JSON.stringify({
    sbom: { version: 1, imageName: 'app', imageTag: 'abc', created: 'now', fromImage: base, layer: layerDir, storeDir: '/nix/store' },
    graph: [...graphJson.filter((n) => n.path !== confPath), { path: layerDir, narHash: graphJson[0]!.narHash, narSize: 1, references: [app] }],
    outputs: { out },
  }));
  const { spec, graph, out: outDir } = await readSbomAttrs(attrs);
  assert.equal(outDir, out);
  await writeSbom({ spec, graph, outDir: out, log: silentLogger });
  const { spdx, cdx } = await documents(out);
  assert.equal(spdx.creationInfo.created, '1970-01-01T00:00:00Z');
  assert.deepEqual(layerOf(cdx), { [app]: '1', [glibc]: '1', [data]: '1' });
  // lib is in the base, so app's reference to it is not one of this document's dependencies.
  assert.deepEqual((cdx.dependencies as Json[]).find((d) => d.ref === app)!.dependsOn, [data]);
});

test('nix path-info --json (Nix ≥ 2.19: an object keyed by path) is a graph too', async () => {
  const file = join(work, 'path-info.json');
  await writeFile(file, JSON.stringify(Object.fromEntries(graphJson.map(({ path: p, ...info }) => [p, info]))));
  const graph = await readGraphFile(file, '/nix/store');
  assert.deepEqual(graph.nodes.map((n) => n.path), graphJson.map((n) => n.path).sort());
  assert.equal(graph.nodes[0]!.narHash, graphJson[0]!.narHash);
});

test('the CLI: a bad invocation or input is one line, and no output directory is left', async () => {
  const conf = join(work, 'conf-plain.json');
  await writeFile(conf, serializeConf(confOf(null)));
  const noHash = join(work, 'no-hash.json');
  await writeFile(noHash, JSON.stringify(graphJson.map(({ narHash: _, ...rest }) => rest)));
  const out = join(work, 'cli-out');
  const cases: [string[], RegExp][] = [
    [['sbom', '--conf', conf, '--out', out], /^nix-strata: sbom: --conf and --graph go together/],
    [['sbom', '--conf', conf, '--graph', noHash], /^nix-strata: sbom: --out DIR is required with --conf$/],
    [['sbom', '--conf', conf, '--graph', noHash, '--out', out], /has no narHash; export the graph with exportReferencesGraph under __structuredAttrs$/],
    [['sbom', '--conf', conf, '--graph', join(work, 'missing.json'), '--out', out], /^nix-strata: cannot read the closure graph .*missing\.json: /],
  ];
  for (const [args, pattern] of cases) {
    assertCleanFailure(await runCli(args), pattern);
    await assert.rejects(readdir(out), { code: 'ENOENT' }, args.join(' '));
  }
  const graph = join(work, 'graph-cli.json');
  await writeFile(graph, JSON.stringify(graphJson));
  const ok = await runCli(['sbom', '--conf', conf, '--graph', graph, '--out', out]);
  assert.equal(ok.exitCode, 0, String(ok.stderr));
  const { cdx } = await documents(out);
  assert.deepEqual(layerOf(cdx), { [app]: '1', [lib]: '1', [glibc]: '0', [data]: '1' });
});
