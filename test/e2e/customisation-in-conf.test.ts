// The customisation layer the conf derivation builds itself (no commands to run): the image is
// the one a separately built layer gives, and the closure-graph node the builder computes for
// that output (NAR size, references) is what Nix then registers for it.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { narSizeOfFlatDirectory } from '../../src/closure/nar-size.ts';
import { scanReferences } from '../../src/customisation/reference-scan.ts';
import { buildExpression, evalJson, pathInfo, repoRoot } from './harness.ts';

const cli = join(repoRoot, 'bin/nix-strata.js');
const host = `(import ${repoRoot}/test/nix/host.nix { })`;
const work = await mkdtemp(join(tmpdir(), 'strata-in-conf-'));
after(() => rm(work, { recursive: true, force: true }));

/** A stream over the stand-ins; `extra` is spliced into the argument set. */
function stream(extra: string): string {
  return `let h = ${host}; s = h.standIns; in h.streamLayeredImage { name = "nix-strata-e2e-in-conf"; tag = "t"; contents = [ s.hello s.cat-somefile s.app-a ]; ${extra} }`;
}

/** The diff_ids of a stream's image, in order. */
async function diffIds(streamPath: string): Promise<string[]> {
  const archive = join(work, 'image.tar');
  await execa(streamPath, ['--output', archive]);
  const { stdout } = await execa('node', [cli, 'inspect', archive]);
  const layers = [...String(stdout).matchAll(/diff_id (sha256:[0-9a-f]{64})/g)].map((m) => m[1]!);
  assert.ok(layers.length > 1, `unexpected inspect output:\n${String(stdout)}`);
  return layers;
}

for (const strategy of ['popularity', 'auto']) {
  test(`${strategy}: same layers whether the conf or a separate derivation builds the customisation layer`, async () => {
    // A no-op extraCommands forces the separate (bash) derivation; its tree is the same.
    const layering = `layeringStrategy = "${strategy}"; maxLayers = 4;`;
    const inConf = await evalJson(`(${stream(layering)}).conf.name`);
    const separate = await evalJson(`(${stream(`${layering} extraCommands = ":";`)}).conf.name`);
    assert.equal(inConf, 'nix-strata-e2e-in-conf-customisation-layer');
    assert.equal(separate, 'nix-strata-e2e-in-conf-conf.json');
    const a = await diffIds(await buildExpression(stream(layering)));
    const b = await diffIds(await buildExpression(stream(`${layering} extraCommands = ":";`)));
    assert.deepEqual(a, b);
  });
}

test('Nix registers the NAR size and references the conf step computed for its customisation layer', async () => {
  const confPath = await buildExpression(`(${stream('')}).conf`);
  const conf = JSON.parse(await readFile(confPath, 'utf8')) as { customisationLayer: string };
  const layer = conf.customisationLayer;
  const info = await pathInfo(layer);
  const files = await Promise.all(['checksum', 'layer.tar'].map(async (name) => ({ name, size: (await stat(join(layer, name))).size })));
  assert.equal(narSizeOfFlatDirectory(files), info.narSize);
  // Candidates: everything the conf derivation could have referred to.
  const { stdout: drv } = await execa('nix-store', ['--query', '--deriver', confPath]);
  const { stdout: inputs } = await execa('nix-store', ['--query', '--requisites', '--include-outputs', String(drv).trim()]);
  const candidates = String(inputs).trim().split('\n').filter((path) => !path.endsWith('.drv'));
  const found = scanReferences(files.map((file) => join(layer, file.name)), candidates);
  assert.deepEqual(found.sort(), [...info.references].sort());
  assert.ok(info.references.length >= 3, 'the layer refers to the contents elements');
});
