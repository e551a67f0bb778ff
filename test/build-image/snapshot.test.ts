// Reading a snapshot file back (build-image layer --before): a damaged file is the user's
// one-line error naming it, not an internal error.
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { execa } from 'execa';
import { readSnapshotFile, writeSnapshotFile } from '../../src/build-image/snapshot.ts';
import { UserError } from '../../src/errors.ts';
import { cli } from '../faults/fixture.ts';

test('a snapshot written by writeSnapshotFile reads back with the root and its entries', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'strata-snapshot-'));
  await mkdir(join(dir, 'root/etc'), { recursive: true });
  await writeFile(join(dir, 'root/etc/motd'), 'hi\n');
  await writeSnapshotFile(join(dir, 'root'), join(dir, 'snap'));
  const snapshot = await readSnapshotFile(join(dir, 'snap'));
  assert.deepEqual([...snapshot.keys()].sort(), ['', 'etc', 'etc/motd']);
});

test('a corrupt, cut-short or empty snapshot file is a UserError naming the file', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'strata-snapshot-'));
  const cases: Array<[string, Buffer]> = [
    ['garbage', Buffer.from('this is not a snapshot\n')],
    ['cut-short', Buffer.from('d 755 0 0 4096 12 1.5\0\0')],
    ['empty', Buffer.alloc(0)],
  ];
  for (const [name, bytes] of cases) {
    const file = join(dir, name);
    await writeFile(file, bytes);
    await assert.rejects(readSnapshotFile(file), (error: unknown) =>
      error instanceof UserError && error.code === 'bad-snapshot' && error.message.startsWith(`${file}: not a snapshot`) && !error.message.includes('\n'), name);
  }
});

test('CLI: build-image layer --before <corrupt file> prints one line naming the file, exit 1', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'strata-snapshot-'));
  await mkdir(join(dir, 'root'));
  await writeFile(join(dir, 'corrupt'), 'garbage');
  const result = await execa('node', [cli, 'build-image', 'layer', '--root', join(dir, 'root'), '--out', join(dir, 'out'), '--before', join(dir, 'corrupt')], { reject: false });
  assert.equal(result.exitCode, 1);
  const stderr = String(result.stderr);
  assert.equal(stderr.split('\n').length, 1, stderr);
  assert.match(stderr, new RegExp(`^nix-strata: ${join(dir, 'corrupt')}: not a snapshot as \`build-image snapshot\` writes it \\(`));
});
