// Reproducibility at the builder level: one conf streamed twice (to a file, to stdout, from
// another working directory, gz-compressed) gives the same bytes; `created = "now"` changes
// the config (hence its member name and manifest.json) and nothing else. Needs `npm run build`.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, test } from 'node:test';
import tar from 'tar-stream';
import { makeFixture, runCli, writeConf, type Fixture } from './fixture.ts';

let f: Fixture;
before(async () => {
  f = await makeFixture({ dataSize: 256 << 10 });
  await writeConf(f);
});
after(() => rm(f.work, { recursive: true, force: true }));

const sha = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

async function streamToFile(confPath: string, name: string, extra: readonly string[] = [], cwd?: string): Promise<Buffer> {
  const output = join(f.work, name);
  const result = await runCli(['stream', '-q', '--conf', confPath, '--output', output, ...extra], cwd === undefined ? {} : { cwd });
  assert.equal(result.exitCode, 0, Buffer.from(result.stderr).toString());
  return readFile(output);
}

/** Members of a tar as [name, header fields that matter, sha256 of data]. */
async function members(archive: Buffer): Promise<Array<{ name: string; header: string; data: Buffer }>> {
  const extract = tar.extract();
  Readable.from([archive]).pipe(extract);
  const out: Array<{ name: string; header: string; data: Buffer }> = [];
  for await (const entry of extract) {
    const chunks: Buffer[] = [];
    for await (const chunk of entry) chunks.push(chunk as Buffer);
    const h = entry.header;
    out.push({ name: h.name, header: JSON.stringify([h.mode, h.uid, h.gid, h.uname, h.gname, h.mtime?.getTime(), h.size, h.type]), data: Buffer.concat(chunks) });
  }
  return out;
}

test('the same conf streamed twice, to a file, to stdout and from another directory, gives identical bytes', async () => {
  const first = await streamToFile(f.confPath, 'one.tar');
  const second = await streamToFile(f.confPath, 'two.tar');
  assert.equal(sha(second), sha(first));
  const elsewhere = await streamToFile(f.confPath, 'three.tar', [], '/');
  assert.equal(sha(elsewhere), sha(first));
  const stdout = await runCli(['stream', '-q', '--conf', f.confPath]);
  assert.equal(stdout.exitCode, 0);
  assert.equal(sha(stdout.stdout), sha(first));
  const gz1 = await streamToFile(f.confPath, 'one.tar.gz', ['--compressor', 'gz']);
  const gz2 = await streamToFile(f.confPath, 'two.tar.gz', ['--compressor', 'gz']);
  assert.equal(sha(gz2), sha(gz1));
});

test('a second conf from the same attrs is byte-identical (nothing of the machine is in it)', async () => {
  const again = join(f.work, 'conf-again.json');
  const result = await runCli(['conf', '--attrs', f.attrsPath, '--out', again]);
  assert.equal(result.exitCode, 0);
  assert.equal(sha(await readFile(again)), sha(await readFile(f.confPath)));
});

test('created = "now": only the config member, its name and manifest.json change; layer members are identical', async () => {
  const attrs = JSON.parse(await readFile(f.attrsPath, 'utf8')) as { spec: Record<string, unknown> };
  attrs.spec.created = 'now';
  const nowAttrs = join(f.work, 'attrs-now.json');
  const nowConf = join(f.work, 'conf-now.json');
  await writeFile(nowAttrs, JSON.stringify(attrs));
  const made = await runCli(['conf', '--attrs', nowAttrs, '--out', nowConf]);
  assert.equal(made.exitCode, 0, Buffer.from(made.stderr).toString());

  const fixed = await members(await streamToFile(f.confPath, 'fixed.tar'));
  const now = await members(await streamToFile(nowConf, 'now.tar'));
  assert.equal(now.length, fixed.length);
  const isLayer = (name: string) => name.endsWith('/layer.tar');
  const layersOf = (list: typeof fixed) => list.filter((m) => isLayer(m.name)).map((m) => [m.name, m.header, sha(m.data)]);
  assert.ok(layersOf(fixed).length >= 2);
  assert.deepEqual(layersOf(now), layersOf(fixed), 'layer members: names, headers and bytes unchanged');

  const configOf = (list: typeof fixed) => list.find((m) => /^[0-9a-f]{64}\.json$/.test(m.name))!;
  const fixedConfig = JSON.parse(configOf(fixed).data.toString()) as Record<string, unknown> & { history: Array<Record<string, unknown>> };
  const nowConfig = JSON.parse(configOf(now).data.toString()) as typeof fixedConfig;
  assert.notEqual(configOf(now).name, configOf(fixed).name, 'the config (image ID) changes');
  assert.equal(fixedConfig.created, '1970-01-01T00:00:01+00:00');
  const year = new Date().getUTCFullYear();
  assert.ok(String(nowConfig.created).startsWith(String(year)), `created is now: ${String(nowConfig.created)}`);
  // Apart from the creation times, the configs are the same (rootfs.diff_ids in particular).
  const withoutTimes = (config: typeof fixedConfig) => ({ ...config, created: null, history: config.history.map((h) => ({ ...h, created: null })) });
  assert.deepEqual(withoutTimes(nowConfig), withoutTimes(fixedConfig));
  const manifest = (list: typeof fixed) => JSON.parse(list.find((m) => m.name === 'manifest.json')!.data.toString()) as Array<{ Config: string; Layers: string[] }>;
  assert.deepEqual(manifest(now)[0]!.Layers, manifest(fixed)[0]!.Layers);
  assert.equal(manifest(now)[0]!.Config, configOf(now).name);
});
