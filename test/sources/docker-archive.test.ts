import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { execa } from 'execa';
import { assembleImage } from '../../src/image/assemble.ts';
import { baseEnvOf } from '../../src/image/env-merge.ts';
import { writeDockerArchive } from '../../src/sinks/docker-archive.ts';
import { bytesLayer } from '../../src/sources/bytes-layer.ts';
import { readDockerArchive } from '../../src/sources/docker-archive.ts';
import type { TarHeader } from '../../src/tar/header.ts';
import { collect, recordingLogger, sha, tarOf, vectorC, vectorE, vectorImage } from '../sinks/vectors.ts';
import { assertBrokenArchive, member } from '../support/base-archive.ts';

const HEX_C = 'a690232b32e25880104b33ef304580fd4e002e227f570fc2a143317ec7087548';
const HEX_E = 'f003e077fcffe7c286bb778c1514ebe6c7388d057e705b8bc43d6be413837a43';
const dirPromise = mkdtemp(join(tmpdir(), 'strata-base-'));

async function file(name: string, bytes: Buffer): Promise<string> {
  const path = join(await dirPromise, name);
  await writeFile(path, bytes);
  return path;
}

async function vectorArchive(): Promise<Buffer> {
  const image = await vectorImage();
  return collect((output) => writeDockerArchive(image, output, { repoTags: ['test:latest'], mtime: 1, log: recordingLogger() }));
}

async function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** A docker-archive with the given manifest entry and members. */
function archiveOf(manifest: unknown, config: unknown, members: Array<[TarHeader, Buffer]>, configName = 'cfg.json'): Buffer {
  return tarOf([...members, member(configName, Buffer.from(JSON.stringify(config))), member('manifest.json', Buffer.from(JSON.stringify(manifest)))]);
}

for (const [label, compress] of [
  ['plain', async (bytes: Buffer) => bytes],
  ['gzip', async (bytes: Buffer) => gzipSync(bytes)],
  ['zstd', async (bytes: Buffer) => (await execa('zstd', ['-c'], { input: bytes, encoding: 'buffer' })).stdout],
  ['bzip2', async (bytes: Buffer) => (await execa('bzip2', ['-c'], { input: bytes, encoding: 'buffer' })).stdout],
  ['xz', async (bytes: Buffer) => (await execa('xz', ['-c'], { input: bytes, encoding: 'buffer' })).stdout],
] as const) {
  test(`reads a ${label} docker-archive: layers, diff_ids, Env, member bytes`, async () => {
    const path = await file(`vector.${label}`, Buffer.from(await compress(await vectorArchive())));
    const base = await readDockerArchive(path);
    assert.equal(base.compression, label === 'plain' ? 'none' : label);
    assert.equal(base.layers.length, 2);
    assert.deepEqual(base.diffIds, [`sha256:${HEX_C}`, `sha256:${HEX_E}`]);
    assert.deepEqual(baseEnvOf(base.config), ['PATH=/bin']);
    assert.deepEqual(base.layers.map((layer) => layer.sourceMember.name), [`${HEX_C}/layer.tar`, `${HEX_E}/layer.tar`]);
    assert.deepEqual(base.layers.map((layer) => layer.origin), [[`${HEX_C}/layer.tar`], [`${HEX_E}/layer.tar`]]);
    assert.deepEqual(base.layers[1]!.sourceMember.header, { mode: 0o444, uid: 0, gid: 0, uname: 'root', gname: 'root', mtime: 1 });
    assert.equal(await base.layers[0]!.size(), 10240);
    assert.equal(sha(await readAll(base.layers[0]!.open())), HEX_C);
    assert.equal(sha(await readAll(base.layers[1]!.open())), HEX_E);
  });
}

test('an image on a base: base members are copied with their headers, Env merged, diff_ids from the base', async () => {
  const originalBytes = await vectorArchive();
  const path = await file('base.tar', originalBytes);
  const base = await readDockerArchive(path);
  const image = assembleImage({
    baseImage: base,
    storeLayers: [],
    customisationLayer: bytesLayer(vectorE(), { origin: ['/nix/store/c'], kind: 'customisation' }),
    architecture: 'amd64',
    config: { Env: ['PATH=/usr/bin', 'X=1'] },
    created: '1970-01-01T00:00:01+00:00',
  });
  const log = recordingLogger();
  const archive = await collect((output) => writeDockerArchive(image, output, { repoTags: ['child:1'], mtime: 7, log }));
  // Both base members (header + 10240 data bytes each) are byte-identical to the original's.
  assert.ok(archive.subarray(0, 2 * (512 + 10240)).equals(originalBytes.subarray(0, 2 * (512 + 10240))));
  assert.deepEqual(log.lines.slice(0, 3), [`Adding base layer 1 from ${HEX_C}/layer.tar`, `Adding base layer 2 from ${HEX_E}/layer.tar`, 'Creating layer 3 with customisation...']);
  const config = JSON.parse((await image.rawConfig()).toString());
  assert.deepEqual(config.config.Env, ['PATH=/usr/bin', 'X=1']);
  assert.deepEqual(config.rootfs.diff_ids, [`sha256:${HEX_C}`, `sha256:${HEX_E}`, `sha256:${HEX_E}`]);
  assert.equal(config.history[0].comment, `store paths: ['${HEX_C}/layer.tar']`);
});

test('symlinked (and chained) members resolve to the real content; pax records and long names survive a copy', async () => {
  const layer = vectorC();
  const longName = `${'d'.repeat(120)}/layer.tar`;
  const path = await file('links.tar', archiveOf(
    [{ Config: 'cfg.json', Layers: ['aaa/layer.tar', 'bbb/layer.tar', 'ccc/layer.tar', longName] }],
    { rootfs: { diff_ids: Array(4).fill(`sha256:${HEX_C}`) } },
    [
      member('aaa/layer.tar', layer, { mode: 0o600, uid: 5, uname: 'u', pax: [['mtime', '1.5'], ['SCHILY.xattr.user.x', 'y']] }),
      [{ name: 'bbb/layer.tar', type: 'symlink', linkname: '../aaa/layer.tar', mode: 0o777, uid: 0, gid: 0, uname: '', gname: '', size: 0, mtime: 1 }, Buffer.alloc(0)],
      [{ name: 'ccc/layer.tar', type: 'symlink', linkname: '../bbb/layer.tar', mode: 0o777, uid: 0, gid: 0, uname: '', gname: '', size: 0, mtime: 1 }, Buffer.alloc(0)],
      member(longName, layer),
    ],
  ));
  const base = await readDockerArchive(path);
  for (const baseLayer of base.layers) assert.equal(sha(await readAll(baseLayer.open())), HEX_C);
  assert.equal(base.layers[1]!.sourceMember.name, 'bbb/layer.tar');
  assert.deepEqual(base.layers[2]!.sourceMember.header, base.layers[0]!.sourceMember.header);
  assert.deepEqual(base.layers[0]!.sourceMember.header?.pax, [['mtime', '1.5'], ['SCHILY.xattr.user.x', 'y']]);
  assert.equal(base.layers[0]!.sourceMember.header?.uid, 5);
  assert.equal(base.layers[3]!.sourceMember.name, longName);
  const image = assembleImage({
    baseImage: base, storeLayers: [], customisationLayer: bytesLayer(vectorE(), { origin: ['/c'], kind: 'customisation' }),
    architecture: 'amd64', config: {}, created: 'C',
  });
  const copy = await collect((output) => writeDockerArchive(image, output, { repoTags: ['a:b'], mtime: 1, log: recordingLogger() }));
  const [aaaHeader, aaaData] = member('aaa/layer.tar', layer, { mode: 0o600, uid: 5, uname: 'u', pax: [['mtime', '1.5'], ['SCHILY.xattr.user.x', 'y']] });
  const original = tarOf([[aaaHeader, aaaData]]).subarray(0, 3 * 512 + 10240);
  assert.ok(copy.subarray(0, original.length).equals(original), 'first base member re-encoded identically, pax block included');
  const longCopy = tarOf([member(longName, layer)]).subarray(0, 3 * 512 + 10240);
  assert.ok(copy.includes(longCopy), 'long member name written with its pax path record');
});

test('a gzip-compressed layer member is reported as such and its blob digest is computed', async () => {
  const gz = gzipSync(vectorC());
  const path = await file('gzlayer.tar', archiveOf([{ Config: 'cfg.json', Layers: ['l.tar.gz'] }], { rootfs: { diff_ids: [`sha256:${HEX_C}`] } }, [member('l.tar.gz', gz)]));
  const [layer] = (await readDockerArchive(path)).layers;
  assert.equal(layer!.compression, 'gzip');
  assert.equal(await layer!.digest(), `sha256:${sha(gz)}`);
  assert.equal(await layer!.diffId(), `sha256:${HEX_C}`);
});

test('each broken input is a one-line UserError naming the file', async () => {
  const diff = { rootfs: { diff_ids: [`sha256:${HEX_C}`] } };
  const cases: Array<[string, Buffer | undefined, RegExp]> = [
    ['missing', undefined, /cannot open/],
    ['not-a-tar', Buffer.from('hello, this is not a tar archive at all\n'.repeat(20)), /cannot read it as a/],
    ['not-a-tar.gz', gzipSync(Buffer.from('plain text, gzipped\n'.repeat(40))), /cannot read it as a/],
    ['no-manifest', tarOf([member('x', Buffer.from('x'))]), /no manifest\.json/],
    ['no-config', tarOf([member('manifest.json', Buffer.from(JSON.stringify([{ Config: 'c.json', Layers: [] }])))]), /Config "c\.json", which is not in the archive/],
    ['missing-layer', archiveOf([{ Config: 'cfg.json', Layers: ['gone/layer.tar'] }], diff, []), /Layers\[0\] "gone\/layer\.tar", which is not in the archive/],
    ['dotdot', archiveOf([{ Config: 'cfg.json', Layers: ['../etc/passwd'] }], diff, []), /absolute path or contains "\.\."/],
    ['absolute', archiveOf([{ Config: '/etc/cfg.json', Layers: [] }], diff, []), /absolute path or contains "\.\."/],
    ['escaping-link', archiveOf([{ Config: 'cfg.json', Layers: ['a/layer.tar'] }], diff,
      [[{ name: 'a/layer.tar', type: 'symlink', linkname: '../../x', mode: 0o777, uid: 0, gid: 0, uname: '', gname: '', size: 0, mtime: 1 }, Buffer.alloc(0)]]), /contains "\.\."/],
    ['absolute-link', archiveOf([{ Config: 'cfg.json', Layers: ['a/layer.tar'] }], diff,
      [[{ name: 'a/layer.tar', type: 'symlink', linkname: '/etc/passwd', mode: 0o777, uid: 0, gid: 0, uname: '', gname: '', size: 0, mtime: 1 }, Buffer.alloc(0)]]), /absolute path/],
    ['no-rootfs', archiveOf([{ Config: 'cfg.json', Layers: [] }], { architecture: 'amd64', os: 'linux' }, []), /cfg\.json: no rootfs\.diff_ids list/],
    ['diff-id-not-digest', archiveOf([{ Config: 'cfg.json', Layers: [] }], { rootfs: { diff_ids: ['md5:00'] } }, []), /cfg\.json: rootfs\.diff_ids\[0\]/],
    ['mismatch', archiveOf([{ Config: 'cfg.json', Layers: ['a/layer.tar', 'a/layer.tar'] }], diff, [member('a/layer.tar', vectorC())]), /lists 2 layers but cfg\.json has 1 rootfs\.diff_ids/],
  ];
  for (const [name, bytes, pattern] of cases) {
    const path = bytes ? await file(name, bytes) : join(await dirPromise, name);
    await assertBrokenArchive(path, pattern, name);
  }
});
