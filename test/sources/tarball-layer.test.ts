import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { archiveMember } from '../../src/sinks/docker-archive.ts';
import { tarballLayer } from '../../src/sources/tarball-layer.ts';
import { vectorE } from '../sinks/vectors.ts';

test('tarball layer: a bad checksum file is a UserError naming it; a wrong checksum fails the stream', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'strata-tl-'));
  await writeFile(join(dir, 'layer.tar'), vectorE());
  await writeFile(join(dir, 'checksum'), 'abc\n');
  await assert.rejects(tarballLayer(dir), (error: Error) => error.name === 'UserError' && error.message.includes(join(dir, 'checksum')));
  await writeFile(join(dir, 'checksum'), `  ${'0'.repeat(64)}\n`);
  const layer = await tarballLayer(dir);
  // The docker-archive sink names and heads it (format.md §1.2's project rule).
  const member = await archiveMember(layer, 1);
  assert.equal(member.name, `${'0'.repeat(64)}/layer.tar`);
  assert.deepEqual(member.header, { mode: 0o444, uid: 0, gid: 0, uname: 'root', gname: 'root' });
  assert.equal(await layer.size(), 10240);
  await assert.rejects(async () => { for await (const _ of layer.open()) { /* drain */ } }, /checksum file says/);
  await assert.rejects(tarballLayer(join(dir, 'missing')), (error: Error) => error.name === 'UserError');
});

test('tarball layer: the sandbox owner variant of the member header', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'strata-tl-'));
  await writeFile(join(dir, 'layer.tar'), vectorE());
  await writeFile(join(dir, 'checksum'), 'f003e077fcffe7c286bb778c1514ebe6c7388d057e705b8bc43d6be413837a43\n');
  const layer = await tarballLayer(dir);
  assert.deepEqual((await archiveMember(layer, 1, 'sandbox')).header, { mode: 0o444, uid: 65534, gid: 65534, uname: 'nobody', gname: 'nogroup' });
  assert.deepEqual(layer.origin, [dir]);
  assert.equal(layer.kind, 'customisation');
  const chunks: Buffer[] = [];
  for await (const chunk of layer.open()) chunks.push(chunk as Buffer);
  assert.ok(Buffer.concat(chunks).equals(vectorE()));
});
