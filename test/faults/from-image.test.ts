// Hostile fromImage archives, the cases test/sources/docker-archive.test.ts does not cover:
// base layers whose bytes do not match their diff_id (checked while copying, for
// uncompressed, gzip and zstd members), broken JSON members, truncated archives, and the
// same failures through the CLI with nothing left behind.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { execa } from 'execa';
import { buildImageArchive, type BuildImageSpec } from '../../src/steps/build-image-archive.ts';
import { assembleImage } from '../../src/image/assemble.ts';
import { writeDockerArchive } from '../../src/sinks/docker-archive.ts';
import { bytesLayer } from '../../src/sources/bytes-layer.ts';
import { readDockerArchive } from '../../src/sources/docker-archive.ts';
import { collect, recordingLogger, tarOf, vectorC, vectorE } from '../sinks/vectors.ts';
import { assertCleanFailure, assertNothingLeft, cli, makeFixture, noise, runCli, writeConf } from './fixture.ts';
import { assertBrokenArchive, member } from '../support/base-archive.ts';

const dir = await mkdtemp(join(tmpdir(), 'strata-from-image-'));
after(() => rm(dir, { recursive: true, force: true }));

const sha = (bytes: Buffer) => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
const zstd = async (bytes: Buffer) => Buffer.from((await execa('zstd', ['-c', '-q'], { input: bytes, encoding: 'buffer' })).stdout);

/** A one-layer docker-archive whose layer member holds `blob` and whose config claims `diffId`. */
function oneLayerArchive(blob: Buffer, diffId: string, layerName = 'l/layer.tar'): Buffer {
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', config: {}, rootfs: { type: 'layers', diff_ids: [diffId] } }));
  const manifest = Buffer.from(JSON.stringify([{ Config: 'cfg.json', RepoTags: ['base:1'], Layers: [layerName] }]));
  return tarOf([member(layerName, blob), member('cfg.json', config), member('manifest.json', manifest)]);
}

async function file(name: string, bytes: Buffer): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, bytes);
  return path;
}

/** Copies the base at `path` into a new archive, as `nix-strata stream` does. */
async function copyOf(path: string): Promise<Buffer> {
  const base = await readDockerArchive(path);
  const image = assembleImage({
    baseImage: base, storeLayers: [], customisationLayer: bytesLayer(vectorE(), { origin: ['/c'], kind: 'customisation' }),
    architecture: 'amd64', config: {}, created: '1970-01-01T00:00:01+00:00',
  });
  return collect((output) => writeDockerArchive(image, output, { repoTags: ['child:1'], mtime: 1, log: recordingLogger() }));
}

const tampered = (): Buffer => {
  const bytes = Buffer.from(vectorC());
  bytes.writeUInt8(bytes.readUInt8(600) ^ 1, 600); // inside the first file's data
  return bytes;
};

for (const [label, encode] of [
  ['uncompressed', async (bytes: Buffer) => bytes],
  ['gzip', async (bytes: Buffer) => gzipSync(bytes)],
  ['zstd', zstd],
] as const) {
  test(`${label} base layer: matching bytes copy; bytes that do not match the diff_id fail naming member, expected and actual`, async () => {
    const good = await file(`good-${label}.tar`, oneLayerArchive(await encode(vectorC()), sha(vectorC())));
    const copy = await copyOf(good);
    assert.ok(copy.includes(await encode(vectorC())), 'the member is copied unchanged');

    const bad = await file(`bad-${label}.tar`, oneLayerArchive(await encode(tampered()), sha(vectorC())));
    await assert.rejects(copyOf(bad), (error: Error) => {
      assert.equal(error.name, 'UserError', error.stack);
      assert.ok(!error.message.includes('\n'));
      assert.ok(error.message.includes(`${bad}: base layer l/layer.tar`), error.message);
      assert.ok(error.message.includes(`hashes to ${sha(tampered())}`), error.message);
      assert.ok(error.message.includes(`says ${sha(vectorC())}`), error.message);
      return true;
    });
  });
}

test('a gzip base layer that is not valid gzip after its magic fails as corrupt, not as a crash', async () => {
  const garbage = Buffer.concat([Buffer.from([0x1f, 0x8b, 8, 0]), Buffer.alloc(2000, 0x55)]);
  const path = await file('gz-garbage.tar', oneLayerArchive(garbage, sha(vectorC())));
  await assert.rejects(copyOf(path), (error: Error) => {
    assert.equal(error.name, 'UserError', error.stack);
    assert.match(error.message, /base layer l\/layer\.tar: cannot decompress it to check its diff_id/);
    return true;
  });
});

test('broken JSON members and truncated archives are one-line UserErrors naming the file', async () => {
  const layer = vectorC();
  const cfg = Buffer.from(JSON.stringify({ rootfs: { diff_ids: [sha(layer)] } }));
  const manifest = Buffer.from(JSON.stringify([{ Config: 'cfg.json', Layers: ['l/layer.tar'] }]));
  const whole = tarOf([member('l/layer.tar', layer), member('cfg.json', cfg), member('manifest.json', manifest)]);
  const cases: Array<[string, Buffer, RegExp]> = [
    ['manifest-not-json', tarOf([member('manifest.json', Buffer.from('[{"Config": '))]), /manifest\.json/],
    ['manifest-empty-list', tarOf([member('manifest.json', Buffer.from('[]'))]), /not a non-empty list/],
    ['manifest-object', tarOf([member('manifest.json', Buffer.from('{"Config": "cfg.json"}'))]), /not a non-empty list/],
    ['layers-not-list', tarOf([member('manifest.json', Buffer.from('[{"Config": "cfg.json", "Layers": "l"}]'))]), /Layers is not a list/],
    ['config-not-json', tarOf([member('l/layer.tar', layer), member('cfg.json', Buffer.from('{"rootfs": ')), member('manifest.json', manifest)]), /cfg\.json/],
    ['diff-id-not-digest', tarOf([member('l/layer.tar', layer), member('cfg.json', Buffer.from('{"rootfs": {"diff_ids": ["md5:00"]}}')), member('manifest.json', manifest)]), /diff_ids\[0\]/],
    ['more-diff-ids', tarOf([member('l/layer.tar', layer), member('cfg.json', Buffer.from(JSON.stringify({ rootfs: { diff_ids: [sha(layer), sha(layer)] } }))), member('manifest.json', manifest)]), /lists 1 layers but cfg\.json has 2/],
    ['layer-is-directory', tarOf([[{ name: 'l/layer.tar', type: 'directory', mode: 0o755, uid: 0, gid: 0, uname: '', gname: '', size: 0, mtime: 1 }, Buffer.alloc(0)], member('cfg.json', cfg), member('manifest.json', manifest)]), /is a directory entry, not a file|which is not in the archive/],
    ['truncated-in-layer', whole.subarray(0, 512 + 3000), /cannot read it as a|no manifest\.json/],
    ['truncated-gzip', gzipSync(whole).subarray(0, 200), /cannot read it as a|no manifest\.json/],
    ['empty-file', Buffer.alloc(0), /cannot read it as a|no manifest\.json/],
  ];
  for (const [name, bytes, pattern] of cases) {
    const path = await file(name, bytes);
    await assertBrokenArchive(path, pattern, name);
  }
});

test('CLI: a missing fromImage fails conf; a base layer not matching its diff_id fails stream, leaving no file', async () => {
  const missing = await makeFixture({ spec: { fromImage: join(dir, 'no-such-base.tar') } });
  const confResult = await runCli(['conf', '--attrs', missing.attrsPath, '--out', missing.confPath]);
  assertCleanFailure(confResult, /no-such-base\.tar: cannot open the image archive \(ENOENT\)/);
  await assertNothingLeft(missing.work, 'conf.json');

  const basePath = join(dir, 'cli-base.tar');
  await writeFile(basePath, oneLayerArchive(vectorC(), sha(vectorC())));
  const f = await makeFixture({ spec: { fromImage: basePath } });
  try {
    await writeConf(f);
    const ok = await runCli(['stream', '-q', '--conf', f.confPath, '--output', join(f.work, 'image.tar')]);
    assert.equal(ok.exitCode, 0, String(ok.stderr));
    await rm(join(f.work, 'image.tar'));
    // The base is modified after conf: same size, different bytes.
    await writeFile(basePath, oneLayerArchive(tampered(), sha(vectorC())));
    for (const compressor of ['none', 'gz']) {
      const result = await runCli(['stream', '--conf', f.confPath, '--output', join(f.work, 'image.tar'), '--compressor', compressor]);
      assertCleanFailure(result, /base layer l\/layer\.tar: its content hashes to sha256:[0-9a-f]{64} but the base config's rootfs\.diff_ids says sha256:[0-9a-f]{64}/);
      await assertNothingLeft(f.work, 'image.tar');
    }
    assert.ok((await readFile(basePath)).length > 0);
  } finally {
    await rm(f.work, { recursive: true, force: true });
    await rm(missing.work, { recursive: true, force: true });
  }
});

test('CLI: the reader going away mid-way through a zstd base layer (being verified) ends promptly and cleanly', async () => {
  // 4 MiB of noise as the layer's "tar": far more than a pipe holds, so the copy is cut short.
  const content = noise(4 << 20, 7);
  const basePath = join(dir, 'zstd-big-base.tar');
  await writeFile(basePath, oneLayerArchive(await zstd(content), sha(content), 'big/layer.tar.zst'));
  const f = await makeFixture({ spec: { fromImage: basePath } });
  try {
    await writeConf(f);
    // The timeout is only a generous bound on a hang (execa fails the test when it fires).
    const { stdout } = await execa('bash', ['-c', 'node "$CLI" stream -q --conf "$CONF" 2>"$ERR" | head -c 1 | wc -c; echo "${PIPESTATUS[0]}" >"$RC"'], {
      env: { CLI: cli, CONF: f.confPath, ERR: join(f.work, 'err'), RC: join(f.work, 'rc') },
      timeout: 30_000,
    });
    assert.equal(stdout.trim(), '1');
    assertCleanFailure({ exitCode: Number((await readFile(join(f.work, 'rc'), 'utf8')).trim()), stderr: await readFile(join(f.work, 'err'), 'utf8') }, /the reader of the image stream went away/);
  } finally {
    await rm(f.work, { recursive: true, force: true });
  }
});

test('a directory as the image (OCI layout, unpacked archive, layer dir, derivation output) is one line saying what it is and what is expected, in conf, buildImage, export and inspect', async () => {
  const kinds: Array<[string, Record<string, string>, RegExp]> = [
    ['oci', { 'oci-layout': '{"imageLayoutVersion": "1.0.0"}', 'index.json': '{}' }, /is an OCI image layout directory, but a docker-archive file is expected .*; convert it with `skopeo copy oci:\S+ docker-archive:image\.tar`$/],
    ['unpacked', { 'manifest.json': '[]', 'cfg.json': '{}' }, /is an unpacked docker-archive \(a directory holding manifest\.json\), .*; pack it with `tar -C \S+ -cf image\.tar \.`$/],
    ['layer', { 'layer.tar': '', checksum: '' }, /is a single layer's directory \(layer\.tar\), not an image, .*give the image built from it/],
    ['output', { 'image.tar.gz': '', 'README': '' }, /is a directory holding image\.tar\.gz, .*; give the file itself, e.g\. \S+\/output\/image\.tar\.gz$/],
    ['empty', {}, /is a directory, but a docker-archive file is expected/],
  ];
  for (const [kind, files, pattern] of kinds) {
    const image = join(dir, kind);
    await mkdir(image);
    for (const [name, text] of Object.entries(files)) await writeFile(join(image, name), text);
    assertCleanFailure(await runCli(['inspect', image]), pattern);
    assertCleanFailure(await runCli(['export', image, '--output', join(dir, `${kind}-rootfs.tar`)]), pattern);
    assert.ok(!existsSync(join(dir, `${kind}-rootfs.tar`)));
    const f = await makeFixture({ spec: { fromImage: image } });
    try {
      const result = await runCli(['conf', '--attrs', f.attrsPath, '--out', f.confPath]);
      assertCleanFailure(result, pattern);
      await assertNothingLeft(f.work, 'conf.json');
    } finally {
      await rm(f.work, { recursive: true, force: true });
    }
    const layer = join(dir, `${kind}-new-layer`);
    await mkdir(layer);
    await writeFile(join(layer, 'layer.tar'), vectorE());
    const spec: BuildImageSpec = {
      imageName: 'child', tag: '1', architecture: 'amd64', created: '1970-01-01T00:00:01Z', config: null,
      fromImage: image, layer, compressor: 'none', storeDir: '/nix/store',
    };
    await assert.rejects(buildImageArchive({ spec, closure: [], output: join(dir, `${kind}-image.tar`), log: recordingLogger() }), (error: Error) => {
      assert.equal(error.name, 'UserError', error.stack);
      assert.match(error.message, pattern);
      return true;
    });
    assert.ok(!existsSync(join(dir, `${kind}-image.tar`)));
  }
});

test('a gzip fromImage with trailing garbage after a whole tar is read, as docker load reads it; garbage cutting the tar short is still an error', async () => {
  const archive = oneLayerArchive(vectorC(), sha(vectorC()));
  for (const [name, garbage] of [
    ['text', Buffer.from('trailing garbage\n')],
    ['gzip-magic', Buffer.from([0x1f, 0x8b, 0x01, 0x02, 0x03])],
    ['zeros-then-text', Buffer.concat([Buffer.alloc(300), Buffer.from('x')])],
  ] as const) {
    const path = await file(`garbage-${name}.tar.gz`, Buffer.concat([gzipSync(archive), garbage]));
    const base = await readDockerArchive(path);
    assert.equal(base.layers.length, 1, name);
    const copy = await copyOf(path);
    assert.ok(copy.includes(vectorC()), `${name}: the base layer is copied`);
    const inspected = await runCli(['inspect', path]);
    assert.equal(inspected.exitCode, 0, Buffer.from(inspected.stderr).toString());
  }
  // Garbage after gzip data that is itself cut short, or corrupt, is not trailing: refused.
  const gzipped = gzipSync(archive);
  const cut = await file('garbage-cut.tar.gz', Buffer.concat([gzipped.subarray(0, gzipped.length - 20), Buffer.from('garbage')]));
  await assertBrokenArchive(cut, /cannot read it as a \(gzip\/bzip2\/xz\/zstd-compressed\) tar archive \(.*\)/, 'cut');
  // The trailer: CRC-32 at 8 bytes from the end, the length at 4.
  for (const [at, pattern] of [[6, /\(gzip CRC-32 mismatch: the data is corrupt\)/], [2, /\(gzip length mismatch: the data is corrupt\)/]] as const) {
    const flipped = Buffer.from(gzipped);
    flipped.writeUInt8(flipped.readUInt8(flipped.length - at) ^ 1, flipped.length - at);
    await assertBrokenArchive(await file(`bad-trailer-${at}.tar.gz`, flipped), pattern, `trailer ${at}`);
  }
  // Several members (pigz, cat a.gz b.gz) are one stream, as before.
  const members = await file('members.tar.gz', Buffer.concat([gzipSync(archive.subarray(0, 1536)), gzipSync(archive.subarray(1536)), Buffer.from('x')]));
  assert.equal((await readDockerArchive(members)).layers.length, 1);
});

test('a script as the image (streamLayeredImage\'s stream program) says so and how to get an archive, in conf, export and inspect', async () => {
  const script = await file('stream-app', Buffer.from('#!/bin/bash\nexec nix-strata stream --conf /nix/store/x-conf "$@"\n'));
  const pattern = /stream-app: is a script \(such as the stream program streamLayeredImage returns\), not a docker-archive; use buildLayeredImage's archive as fromImage, or run the script to write one/;
  assertCleanFailure(await runCli(['inspect', script]), pattern);
  assertCleanFailure(await runCli(['export', script, '--output', join(dir, 'script-rootfs.tar')]), pattern);
  const f = await makeFixture({ spec: { fromImage: script } });
  try {
    assertCleanFailure(await runCli(['conf', '--attrs', f.attrsPath, '--out', f.confPath]), pattern);
    await assertNothingLeft(f.work, 'conf.json');
  } finally {
    await rm(f.work, { recursive: true, force: true });
  }
});
