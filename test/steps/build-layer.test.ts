// `nix-strata layer` and `conf` with given layers, through the CLI on a throwaway store: the
// layer is the stream's store layer of its paths (same diff_id), compressed once; a chained
// layer leaves its parent's paths out; the conf drops given paths from its own store layers;
// the stream of that conf regenerates the given layer and checks it against layer.json.
import assert from 'node:assert/strict';
import { readFile, writeFile, chmod } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { createHash } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { storeLayerDigest } from '../../src/tar/store-layer.ts';
import { readLayerJson } from '../../src/conf/layer-json.ts';
import { givenLayer } from '../../src/sources/given-layer.ts';
import { digestOf } from '../../src/digest/digest.ts';
import { assertCleanFailure, makeFixture, runCli, type Fixture } from '../faults/fixture.ts';

let f: Fixture;
before(async () => { f = await makeFixture({ dataSize: 200 << 10 }); });
after(() => rm(f.work, { recursive: true, force: true }));

const owner = { uid: 0, gid: 0, uname: 'root', gname: 'root' };
const spec = (extra: Record<string, unknown> = {}) => ({
  version: 1, storeDir: f.storeDir, copyToRoot: [], layers: [], mtime: '1970-01-01T00:00:01Z', ...owner, compression: 'gzip', ...extra,
});
const libNode = () => ({ path: f.lib, narHash: 'sha256-lib', narSize: 1, references: [] });
const appNode = () => ({ path: f.app, narHash: 'sha256-app', narSize: 1, references: [f.lib] });

async function layer(name: string, closure: unknown[], extra: Record<string, unknown> = {}): Promise<{ dir: string; json: Record<string, any> }> {
  const dir = join(f.work, name);
  const attrs = join(f.work, `${name}.attrs.json`);
  await writeFile(attrs, JSON.stringify({ spec: spec(extra), closure, outputs: { out: dir } }));
  const result = await runCli(['layer', '--attrs', attrs]);
  assert.equal(result.exitCode, 0, String(result.stderr));
  return { dir, json: JSON.parse(await readFile(join(dir, 'layer.json'), 'utf8')) };
}

describe('nix-strata layer', () => {
  it('writes the store layer the stream writes for its paths, gzip-compressed, with its identities', async () => {
    const { dir, json } = await layer('lib-layer', [libNode()]);
    const expected = storeLayerDigest([f.lib], { ...owner, mtime: 1 });
    assert.equal(json.diffId, expected.digest);
    assert.equal(json.size, expected.size);
    assert.deepEqual(json.paths, [f.lib]);
    const blob = await readFile(join(dir, 'layer.tar.gz'));
    assert.equal(json.digest, `sha256:${createHash('sha256').update(blob).digest('hex')}`);
    assert.equal(json.blobSize, blob.length);
    assert.equal(`sha256:${createHash('sha256').update(gunzipSync(blob)).digest('hex')}`, expected.digest);
    assert.equal(typeof json.contentKey, 'string');
  });

  it('built on another layer, holds none of its paths and records them as parents', async () => {
    const base = await layer('base-layer', [libNode()]);
    const { json } = await layer('app-layer', [libNode(), appNode()], { layers: [base.dir], compression: 'none' });
    assert.deepEqual(json.paths, [f.app]);
    assert.deepEqual(json.parents, [f.lib]);
    assert.deepEqual(json.layers, [base.dir]);
    assert.equal(json.diffId, storeLayerDigest([f.app], { ...owner, mtime: 1 }).digest);
    assert.equal(json.blob, 'layer.tar');
  });

  it('as a source: known identities, a regenerated tar with the diff_id, and the stored blob', async () => {
    const { dir, json } = await layer('source-layer', [libNode()], { compression: 'zstd' });
    const source = givenLayer({ ...(await readLayerJson(dir)), dir });
    assert.equal(await source.diffId(), json.diffId);
    assert.equal(await source.size(), json.size);
    assert.equal(source.compression, 'none');
    assert.deepEqual(await digestOf(source.open()), { digest: json.diffId, size: json.size });
    assert.deepEqual({ compression: source.stored?.compression, digest: source.stored?.digest, size: source.stored?.size }, { compression: 'zstd', digest: json.digest, size: json.blobSize });
    assert.deepEqual(await digestOf(source.stored!.open()), { digest: json.digest, size: json.blobSize });
  });

  it('refuses a bad spec in one line, leaving no output', async () => {
    const attrs = join(f.work, 'bad.attrs.json');
    const out = join(f.work, 'bad-layer');
    await writeFile(attrs, JSON.stringify({ spec: spec({ compression: 'brotli', colour: 1 }), closure: [libNode()], outputs: { out } }));
    assertCleanFailure(await runCli(['layer', '--attrs', attrs]), /spec\.compression: expected "gzip", "zstd" or "none", got "brotli"; spec\.colour: unknown field$/);
  });
});

describe('conf and stream with given layers', () => {
  it('leaves the given paths out of the store layers and lists the layers parents first', async () => {
    const base = await layer('conf-base', [libNode()]);
    const top = await layer('conf-top', [libNode(), appNode()], { layers: [base.dir] });
    const attrs = JSON.parse(await readFile(f.attrsPath, 'utf8'));
    attrs.spec.givenLayers = [top.dir];
    const attrsPath = join(f.work, 'given.attrs.json');
    await writeFile(attrsPath, JSON.stringify(attrs));
    const confPath = join(f.work, 'given-conf.json');
    const result = await runCli(['conf', '--attrs', attrsPath, '--out', confPath]);
    assert.equal(result.exitCode, 0, String(result.stderr));
    const conf = JSON.parse(await readFile(confPath, 'utf8'));
    assert.deepEqual(conf.givenLayers.map((l: { dir: string }) => l.dir), [base.dir, top.dir]);
    assert.deepEqual(conf.storeLayers, []);

    // The stream's diff_ids: the two given layers', then the customisation layer's.
    const archive = join(f.work, 'given.tar');
    const streamed = await runCli(['stream', '--conf', confPath, '--output', archive]);
    assert.equal(streamed.exitCode, 0, String(streamed.stderr));
    const { stdout } = await runCli(['inspect', archive]);
    const text = Buffer.from(stdout).toString('utf8');
    assert.ok(text.includes(base.json.diffId) && text.includes(top.json.diffId), text);

    // A store path changed after the layer was built: the stream fails naming the layer.
    await chmod(join(f.app, 'bin'), 0o755);
    await writeFile(join(f.app, 'bin', 'app'), '#!/bin/sh\necho changed\n');
    const broken = await runCli(['stream', '--conf', confPath, '--output', join(f.work, 'broken.tar')]);
    assertCleanFailure(broken, new RegExp(`layer ${top.dir} \\(a buildLayer output\\) hashes to sha256:[0-9a-f]{64} \\(\\d+ bytes\\) but ${top.json.diffId.replace(':', ':')}`));
  });
});
