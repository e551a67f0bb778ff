// The fakeroot-free paths of the customisation layer (nix/customisation.nix): `tar-tree --owner
// 0:0` after merge-contents + extraCommands, and `customise` (merge + archive in one process),
// must give the same bytes as the fakeroot session they replace.
import { strict as assert } from 'node:assert';
import { chownSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { execa } from 'execa';
import { customiseCommand } from '../../src/cli/commands/customise.ts';
import { tarTreeCommand } from '../../src/cli/commands/tar-tree.ts';
import { customise } from '../../src/customisation/customise.ts';
import { mergeContents } from '../../src/customisation/merge.ts';
import { deviceNumbers, writeTreeTar } from '../../src/customisation/tar-tree.ts';
import { listTree, listTreeDirectly } from '../../src/customisation/tree-listing.ts';
import { silentLogger } from '../../src/log.ts';
import { readTar, sha256Hex, tempDir } from '../tar/fixtures.ts';

const repo = join(import.meta.dirname, '../..');

/** Two contents elements with files, links, a conflict and an executable. */
function elements(base: string): string[] {
  const a = join(base, 'a');
  const b = join(base, 'b');
  mkdirSync(join(a, 'bin'), { recursive: true });
  mkdirSync(join(a, 'share/doc'), { recursive: true });
  mkdirSync(join(b, 'bin'), { recursive: true });
  mkdirSync(join(b, 'etc'), { recursive: true });
  writeFileSync(join(a, 'bin/tool'), '#!/bin/sh\n', { mode: 0o755 });
  writeFileSync(join(a, 'share/doc/readme'), 'readme\n');
  writeFileSync(join(b, 'bin/tool'), 'the conflicting one\n');
  writeFileSync(join(b, 'etc/conf'), 'conf\n');
  return [a, b];
}

/** What `extraCommands` typically does: new directories, files, modes, links (run as the build user). */
const EXTRA_COMMANDS = [
  'set -e',
  'mkdir -p tmp var/log home/alice',
  'chmod 1777 tmp',
  'printf "hello\\n" > etc-motd',
  'chmod 0600 etc-motd',
  'ln -s /bin/tool usr-tool',
  'ln etc-motd hard-motd',
  'mkfifo var/fifo',
  // Device nodes need root (as builds are on this machine); fakeroot shows them as they are.
  ...(process.getuid?.() === 0 ? ['mknod dev-null c 1 3', 'mknod dev-loop b 7 0', 'mknod dev-big c 259 70000'] : []),
].join('\n');

/** Archives `root` with tar-tree inside a plain fakeroot session (no -u: unknown files are 0:0), as nixpkgs' fakeroot does. */
async function viaFakeroot(root: string, outDir: string): Promise<Buffer> {
  const code = `import(${JSON.stringify(join(repo, 'src/customisation/tar-tree.ts'))}).then((m) => m.writeTreeTar({ root: ${JSON.stringify(root)}, outDir: ${JSON.stringify(outDir)} }))`;
  await execa('fakeroot', ['--', 'node', '--import', 'tsx', '-e', code], { cwd: repo });
  return readFileSync(join(outDir, 'layer.tar'));
}

describe('customisation layer without a fakeroot session', () => {
  it('tar-tree --owner 0:0 gives the fakeroot session\'s bytes for a tree made by merge-contents + extraCommands', async () => {
    const dir = tempDir();
    try {
      const root = join(dir.path, 'layer');
      await mergeContents({ into: root, elements: elements(dir.path), log: silentLogger });
      await execa('bash', ['-c', EXTRA_COMMANDS], { cwd: root });
      // A file really owned by someone else (builds run as root here): fakeroot still says 0:0.
      if (process.getuid?.() === 0) chownSync(join(root, 'home/alice'), 1000, 1000);

      const faked = await viaFakeroot(root, join(dir.path, 'faked'));
      await tarTreeCommand().exitOverride().parseAsync(['--owner', '0:0', '--root', root, '--out', join(dir.path, 'forced')], { from: 'user' });
      const forced = readFileSync(join(dir.path, 'forced/layer.tar'));
      assert.equal(sha256Hex(forced), sha256Hex(faked));
      assert.equal(readFileSync(join(dir.path, 'forced/checksum'), 'utf8'), `${sha256Hex(forced)}\n`);

      const entries = await readTar(forced);
      const names = entries.map((entry) => entry.header.name);
      for (const name of ['./bin/tool', './etc/conf', './tmp/', './etc-motd', './hard-motd', './var/fifo', './home/alice/']) assert.ok(names.includes(name), name);
      assert.ok(entries.every((entry) => entry.header.uid === 0 && entry.header.gid === 0), 'every entry 0:0');
      const byName = new Map(entries.map((entry) => [entry.header.name, entry.header]));
      assert.equal(byName.get('./tmp/')?.mode, 0o1777);
      assert.equal(byName.get('./etc-motd')?.mode, 0o600);
    } finally {
      dir.cleanup();
    }
  });

  it('listTreeDirectly lists what find and stat list (kinds, modes, owners, sizes, device numbers, exclusions)', async () => {
    const dir = tempDir();
    try {
      const root = join(dir.path, 'layer');
      await mergeContents({ into: root, elements: elements(dir.path), log: silentLogger });
      await execa('bash', ['-c', EXTRA_COMMANDS], { cwd: root });
      writeFileSync(Buffer.concat([Buffer.from(`${root}/`), Buffer.from([0x61, 0xff, 0x62])]), 'undecodable name\n');
      const byPath = (a: { path: string }, b: { path: string }) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0);
      for (const exclude of [[], ['var', './etc/', 'nope']]) {
        const viaFind = (await listTree(root, exclude)).sort(byPath);
        const direct = await listTreeDirectly(root, exclude);
        assert.deepEqual(
          direct.listing.sort(byPath).map((entry) => (entry.kind === 'f' ? entry : { ...entry, size: 0 })),
          viaFind.map((entry) => (entry.kind === 'f' ? entry : { ...entry, size: 0 })),
          'the same entries (sizes matter for files only)',
        );
        assert.deepEqual(direct.devices, await deviceNumbers(root, viaFind));
      }
      if (process.getuid?.() === 0) assert.deepEqual((await listTreeDirectly(root)).devices.get('dev-big'), { major: 259, minor: 70000 });
    } finally {
      dir.cleanup();
    }
  });

  it('the listed owner is kept without --owner (the fakeroot path\'s view is what find reports)', async () => {
    const dir = tempDir();
    try {
      const root = join(dir.path, 'layer');
      mkdirSync(join(root, 'data'), { recursive: true });
      // As root the directory is given to someone else; otherwise it is the (non-zero) user's own.
      const uid = process.getuid?.() === 0 ? 4242 : process.getuid!();
      if (uid === 4242) chownSync(join(root, 'data'), 4242, 4343);
      await writeTreeTar({ root, outDir: join(dir.path, 'listed') });
      const listed = new Map((await readTar(readFileSync(join(dir.path, 'listed/layer.tar')))).map((entry) => [entry.header.name, entry.header]));
      assert.equal(listed.get('./data/')?.uid, uid);
      await writeTreeTar({ root, outDir: join(dir.path, 'forced'), owner: { uid: 0, gid: 0 } });
      const forced = new Map((await readTar(readFileSync(join(dir.path, 'forced/layer.tar')))).map((entry) => [entry.header.name, entry.header]));
      assert.equal(forced.get('./data/')?.uid, 0);
      assert.equal(forced.get('./data/')?.gid, 0);
    } finally {
      dir.cleanup();
    }
  });

  it('customise (merge + archive in one process) gives the bytes of merge-contents then fakeroot tar-tree', async () => {
    const dir = tempDir();
    try {
      const parts = elements(dir.path);
      const twoStep = join(dir.path, 'two-step');
      await mergeContents({ into: twoStep, elements: parts, log: silentLogger });
      const faked = await viaFakeroot(twoStep, join(dir.path, 'faked'));

      const logged: string[] = [];
      const result = await customise({ into: join(dir.path, 'one-step'), elements: parts, outDir: join(dir.path, 'out'), log: { info: (line) => logged.push(line), progress() {} } });
      const bytes = readFileSync(join(dir.path, 'out/layer.tar'));
      assert.equal(sha256Hex(bytes), sha256Hex(faked));
      assert.equal(result.digest, `sha256:${sha256Hex(bytes)}`);
      assert.equal(result.size, bytes.length);
      assert.equal(logged.length, 1, 'the bin/tool conflict is reported');
      assert.match(logged[0]!, /conflict at \/bin\/tool/);
    } finally {
      dir.cleanup();
    }
  });

  it('customise with no contents gives format.md vector E (only ./)', async () => {
    const dir = tempDir();
    try {
      await customiseCommand().exitOverride().parseAsync(['--into', join(dir.path, 'layer'), '--out', join(dir.path, 'out')], { from: 'user' });
      const bytes = readFileSync(join(dir.path, 'out/layer.tar'));
      assert.equal(bytes.length, 10240);
      assert.equal(sha256Hex(bytes), 'f003e077fcffe7c286bb778c1514ebe6c7388d057e705b8bc43d6be413837a43');
    } finally {
      dir.cleanup();
    }
  });

  it('tar-tree rejects an --owner that is not UID:GID', async () => {
    await assert.rejects(
      tarTreeCommand().exitOverride().configureOutput({ writeErr: () => {} }).parseAsync(['--root', '/tmp', '--out', '/tmp/x', '--owner', 'root'], { from: 'user' }),
      /expected UID:GID/,
    );
  });
});
