import { strict as assert } from 'node:assert';
import { chmodSync, linkSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { execa } from 'execa';
import { writeTreeTar } from '../../src/customisation/tar-tree.ts';
import { encodeGnuHeader } from '../../src/tar/gnu-header.ts';
import { readTar, sha256Hex, tempDir } from '../tar/fixtures.ts';

// Both archivers run under fakeroot, as the customisation layer archives its tree: files the
// test made (not chowned) then read as 0:0, as the vectors have them, whether or not the tests
// run as root.
const repoRoot = join(import.meta.dirname, '../..');

/** GNU tar's own output for the tree, with the options the customisation layer is defined by. */
async function gnuTar(root: string, file: string, exclude: string[] = []): Promise<Buffer> {
  const args = ['--sort=name', '--numeric-owner', '--mtime=@315532800', '--hard-dereference', '--format=gnu',
    ...exclude.map((path) => `--exclude=./${path}`), '-C', root, '-cf', file, '.'];
  await execa('fakeroot', ['tar', ...args]);
  return readFileSync(file);
}

async function ours(root: string, outDir: string, exclude: string[] = []): Promise<Buffer> {
  const program = `import(${JSON.stringify(join(repoRoot, 'src/customisation/tar-tree.ts'))})
    .then(async (m) => console.log(JSON.stringify(await m.writeTreeTar(${JSON.stringify({ root, outDir, exclude })}))))`;
  const { stdout } = await execa('fakeroot', [process.execPath, '--import', 'tsx', '-e', program], { cwd: repoRoot });
  const result = JSON.parse(stdout) as { size: number; digest: string };
  const bytes = readFileSync(join(outDir, 'layer.tar'));
  assert.equal(result.size, bytes.length);
  assert.equal(result.digest, `sha256:${sha256Hex(bytes)}`);
  assert.equal(readFileSync(join(outDir, 'checksum'), 'utf8'), `${sha256Hex(bytes)}\n`);
  return bytes;
}

describe('writeTreeTar: format.md §5.3 vectors', () => {
  it('reproduces vector E (only ./)', async () => {
    const dir = tempDir();
    try {
      const root = join(dir.path, 'root');
      mkdirSync(root, { mode: 0o755 });
      chmodSync(root, 0o755);
      const bytes = await ours(root, join(dir.path, 'out'));
      assert.equal(bytes.length, 10240);
      assert.equal(sha256Hex(bytes), 'f003e077fcffe7c286bb778c1514ebe6c7388d057e705b8bc43d6be413837a43');
      assert.equal(bytes.toString('latin1', 148, 156), '006071\0 ');
      assert.equal(bytes.toString('latin1', 257, 265), 'ustar  \0');
      assert.equal(bytes.toString('latin1', 136, 148), '02263523000\0');
    } finally {
      dir.cleanup();
    }
  });

  it('reproduces vector F (symlink, LongLink name, file)', async () => {
    const dir = tempDir();
    try {
      const root = join(dir.path, 'root');
      const long = 'd'.repeat(120);
      for (const sub of ['', 'bin', 'etc', long]) {
        mkdirSync(join(root, sub), { recursive: true });
        chmodSync(join(root, sub), 0o755);
      }
      symlinkSync('/nix/store/kvzb0jry8i57vpywf27rndwyq6hmcsb4-hello-2.12/bin/hello', join(root, 'bin/hello'));
      writeFileSync(join(root, 'etc/motd'), 'hello\n');
      chmodSync(join(root, 'etc/motd'), 0o644);
      const bytes = await ours(root, join(dir.path, 'out'));
      assert.equal(sha256Hex(bytes), '4248ab6f25ec2a19929f1a753b73cc940a2f2428bcf955403daad61f81ecde1a');
      const entries = await readTar(bytes);
      assert.deepEqual(entries.map((entry) => entry.header.name), ['./', './bin/', './bin/hello', `./${long}/`, './etc/', './etc/motd']);
    } finally {
      dir.cleanup();
    }
  });
});

describe('writeTreeTar: byte-identical to GNU tar on tricky trees', () => {
  function trickyTree(root: string): void {
    const long = 'L'.repeat(130);
    for (const sub of ['bin', 'lib', 'lib/sub', 'lib-x', 'lib.d', 'empty', 'deep/a/b/c/d/e/f/g/h', long, `${long}/${'m'.repeat(60)}`]) {
      mkdirSync(join(root, sub), { recursive: true });
    }
    writeFileSync(join(root, 'lib/a.so'), 'a');
    writeFileSync(join(root, 'lib-x/f'), 'f');
    writeFileSync(join(root, 'lib.d/conf'), 'conf\n');
    writeFileSync(join(root, 'deep/a/b/c/d/e/f/g/h/leaf'), 'leaf');
    writeFileSync(join(root, `${long}/${'m'.repeat(60)}/file`), 'deep long\n');
    writeFileSync(join(root, 'héllo-日本-🚀'), 'unicode\n');
    // Boundaries: with the "./" prefix (and a directory's "/"), 100 bytes fit, 101 need a LongLink.
    writeFileSync(join(root, 'x'.repeat(98)), 'name of exactly 100 bytes\n');
    writeFileSync(join(root, 'y'.repeat(99)), 'name of 101 bytes\n');
    mkdirSync(join(root, 'p'.repeat(97)));
    mkdirSync(join(root, 'q'.repeat(98)));
    symlinkSync('t'.repeat(100), join(root, 'target-100'));
    symlinkSync('t'.repeat(101), join(root, 'target-101'));
    writeFileSync(join(root, 'big'), Buffer.alloc(2 * 1024 * 1024 + 3, 0x62));
    linkSync(join(root, 'big'), join(root, 'big-link'));
    writeFileSync(join(root, 'bin/suid'), '#!/bin/sh\n');
    chmodSync(join(root, 'bin/suid'), 0o4750);
    chmodSync(join(root, 'empty'), 0o700);
    writeFileSync(join(root, 'lib/ro'), 'ro');
    chmodSync(join(root, 'lib/ro'), 0o400);
    symlinkSync('a.so', join(root, 'lib/rel'));
    writeFileSync(Buffer.concat([Buffer.from(`${root}/`), Buffer.from([0x61, 0xff, 0x62])]), 'undecodable name\n');
    writeFileSync(join(root, 'new\nline and space'), 'odd name\n');
    symlinkSync('../lib', join(root, 'bin/up'));
    symlinkSync(`/nix/store/${'t'.repeat(150)}`, join(root, 'long-target'));
    symlinkSync(`/nix/store/${'t'.repeat(150)}`, join(root, 'z'.repeat(120)));
  }

  it('matches GNU tar for long names and targets, unicode, hard links, modes and symlinks', async () => {
    const dir = tempDir();
    try {
      const root = join(dir.path, 'root');
      mkdirSync(root);
      trickyTree(root);
      // GNU tar skips sockets ("socket ignored"); so must we.
      await execa('python3', ['-c', 'import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])', join(root, 'lib/sock')]);
      const mine = await ours(root, join(dir.path, 'out'));
      const theirs = await gnuTar(root, join(dir.path, 'gnu.tar'));
      assert.equal(sha256Hex(mine), sha256Hex(theirs));
      const listing = await execa('tar', ['-tvf', join(dir.path, 'out/layer.tar')]);
      assert.match(listing.stdout, /-rwsr-x--- 0\/0\s+10 1980-01-01 00:00 \.\/bin\/suid/);
      assert.match(listing.stdout, /\.\/long-target -> \/nix\/store\/t{150}/);
    } finally {
      dir.cleanup();
    }
  });

  it('matches GNU tar under fakeroot, including chown, a FIFO and device nodes made in the same session', async () => {
    const dir = tempDir();
    try {
      const root = join(dir.path, 'root');
      mkdirSync(root);
      trickyTree(root);
      const script = [
        'set -e',
        `cd ${JSON.stringify(root)}`,
        'chown 1000:100 lib/a.so',
        'chown -R 1000:1000 deep',
        'mkfifo fifo && chown 5:6 fifo',
        'mknod dev-null c 1 3',
        'mknod dev-loop b 7 0',
        `(cd ${JSON.stringify(join(import.meta.dirname, '../..'))} && node --import tsx -e ${JSON.stringify(
          `import('${join(import.meta.dirname, '../../src/customisation/tar-tree.ts')}').then((m) => m.writeTreeTar({ root: ${JSON.stringify(root)}, outDir: ${JSON.stringify(join(dir.path, 'out'))} }))`,
        )})`,
        `tar --sort=name --numeric-owner --mtime=@315532800 --hard-dereference --format=gnu -C . -cf ${JSON.stringify(join(dir.path, 'gnu.tar'))} .`,
      ].join('\n');
      await execa('fakeroot', ['bash', '-c', script], { cwd: join(import.meta.dirname, '../..') });
      const mine = readFileSync(join(dir.path, 'out/layer.tar'));
      const theirs = readFileSync(join(dir.path, 'gnu.tar'));
      const entries = await readTar(mine);
      const byName = new Map(entries.map((entry) => [entry.header.name, entry.header]));
      assert.equal(byName.get('./lib/a.so')?.uid, 1000);
      assert.equal(byName.get('./lib/a.so')?.gid, 100);
      assert.equal(byName.get('./deep/a/b/c/d/e/f/g/h/leaf')?.uid, 1000);
      assert.equal(byName.get('./fifo')?.type, 'fifo');
      assert.equal(byName.get('./fifo')?.uid, 5);
      assert.equal(byName.get('./dev-null')?.type, 'character-device');
      assert.equal(byName.get('./dev-null')?.devmajor, 1);
      assert.equal(byName.get('./dev-null')?.devminor, 3);
      assert.equal(byName.get('./dev-loop')?.type, 'block-device');
      assert.equal(byName.get('./lib/rel')?.uid, 0, 'everything not chowned is 0:0 under fakeroot');
      assert.equal(sha256Hex(mine), sha256Hex(theirs));
    } finally {
      dir.cleanup();
    }
  });

  it('leaves out excluded paths with their subtrees, like tar --exclude', async () => {
    const dir = tempDir();
    try {
      const root = join(dir.path, 'root');
      for (const sub of ['dev/pts', 'proc/1', 'nix/store/abc-x', 'nix/var', 'build', 'etc', 'devices']) mkdirSync(join(root, sub), { recursive: true });
      writeFileSync(join(root, 'nix/store/abc-x/f'), 'f');
      writeFileSync(join(root, 'etc/f'), 'f');
      const exclude = ['dev', 'proc', 'nix/store', 'build'];
      const mine = await ours(root, join(dir.path, 'out'), exclude);
      const names = (await readTar(mine)).map((entry) => entry.header.name);
      assert.deepEqual(names, ['./', './devices/', './etc/', './etc/f', './nix/', './nix/var/']);
      const theirs = await gnuTar(root, join(dir.path, 'gnu.tar'), exclude);
      assert.equal(sha256Hex(mine), sha256Hex(theirs));
    } finally {
      dir.cleanup();
    }
  });

  it('leaves out an output directory that lies inside the tree', async () => {
    const dir = tempDir();
    try {
      mkdirSync(join(dir.path, 'etc'));
      writeFileSync(join(dir.path, 'etc/f'), 'f');
      await writeTreeTar({ root: dir.path, outDir: join(dir.path, 'out') });
      const names = (await readTar(readFileSync(join(dir.path, 'out/layer.tar')))).map((entry) => entry.header.name);
      assert.deepEqual(names, ['./', './etc/', './etc/f']);
    } finally {
      dir.cleanup();
    }
  });

  it('fails with a UserError for a missing root', async () => {
    const dir = tempDir();
    try {
      await assert.rejects(writeTreeTar({ root: join(dir.path, 'nope'), outDir: join(dir.path, 'out') }), { name: 'UserError', message: /cannot list .*nope with find/ });
    } finally {
      dir.cleanup();
    }
  });
});

describe('encodeGnuHeader', () => {
  it('uses base-256 for a size of 8 GiB or more and for large uids, like GNU tar', () => {
    const block = encodeGnuHeader({ name: Buffer.from('./huge'), type: 'file', mode: 0o644, uid: 2 ** 21, gid: 7, size: 8 * 1024 ** 3 + 5, mtime: 315532800 });
    assert.equal(block.length, 512);
    assert.deepEqual([...block.subarray(124, 136)], [0x80, 0, 0, 0, 0, 0, 0, 0x02, 0, 0, 0, 0x05]);
    assert.deepEqual([...block.subarray(108, 116)], [0x80, 0, 0, 0, 0, 0x20, 0, 0]);
    assert.equal(block.toString('latin1', 116, 124), '0000007\0');
  });

  it('puts the K LongLink before the L LongLink', () => {
    const bytes = encodeGnuHeader({ name: Buffer.from(`./${'n'.repeat(120)}`), type: 'symlink', mode: 0o777, uid: 0, gid: 0, size: 0, mtime: 315532800, linkname: Buffer.from('t'.repeat(101)) });
    assert.equal(bytes.length, 5 * 512);
    assert.equal(bytes.toString('latin1', 156, 157), 'K');
    assert.equal(bytes.toString('latin1', 1024 + 156, 1024 + 157), 'L');
    assert.equal(bytes.toString('latin1', 2048 + 156, 2048 + 157), '2');
    assert.equal(bytes.toString('latin1', 1024 + 100, 1024 + 108), '0000644\0');
  });
});
