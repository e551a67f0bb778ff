// What an output path names decides how it is written (issue 14, findings 1, 5 and 9): a
// regular file or a new path is written aside and renamed, but a device, a FIFO, /dev/stdout
// (a link to /proc/self/fd/1) or a symlink must be written through, never replaced by a
// renamed plain file; a directory is refused with one line. Every command writing a file is
// checked: stream --output, export --output, conf --out, build-image snapshot --out. Needs
// `npm run build` and root (mknod), hence with the e2e tests.
import assert from 'node:assert/strict';
import { lstat, mkdir, readFile, readdir, readlink, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { execa } from 'execa';
import { assertCleanFailure, cli, makeFixture, runCli, writeConf, type Fixture } from '../faults/fixture.ts';

let f: Fixture;
let image: string; // a docker-archive for export to read
before(async () => {
  f = await makeFixture();
  await writeConf(f);
  image = join(f.work, 'image.tar');
  const streamed = await runCli(['stream', '-q', '--conf', f.confPath, '--output', image]);
  assert.equal(streamed.exitCode, 0, String(streamed.stderr));
});
after(async () => {
  if (f) await rm(f.work, { recursive: true, force: true });
});

// Each command's arguments with OUT as its output path.
const commands: Record<string, (out: string) => string[]> = {
  'stream --output': (out) => ['stream', '-q', '--conf', f.confPath, '--output', out],
  'export --output': (out) => ['export', '--quiet', image, '--output', out],
  'conf --out': (out) => ['conf', '--attrs', f.attrsPath, '--out', out],
  'build-image snapshot --out': (out) => ['build-image', 'snapshot', '--root', f.lib, '--out', out],
};

let serial = 0;
async function freshDir(): Promise<string> {
  const dir = join(f.work, `case-${serial++}`);
  await mkdir(dir);
  return dir;
}

/** The bytes the command writes to a regular file. */
async function expected(args: (out: string) => string[]): Promise<Buffer> {
  const out = join(await freshDir(), 'regular');
  const result = await runCli(args(out));
  assert.equal(result.exitCode, 0, String(result.stderr));
  return await readFile(out);
}

/** Runs a bash script with the CLI's arguments for OUT in "$@"; gives its stdout. */
async function shell(script: string, args: string[]): Promise<string> {
  const { stdout } = await execa('bash', ['-c', script, 'bash', cli, ...args], { timeout: 60_000 });
  return stdout;
}

for (const [name, args] of Object.entries(commands)) {
  describe(name, () => {
    test('a character device stays a device (as /dev/null would)', async () => {
      const dir = await freshDir();
      const device = join(dir, 'null');
      await execa('mknod', [device, 'c', '1', '3']);
      const result = await runCli(args(device));
      assert.equal(result.exitCode, 0, String(result.stderr));
      assert.ok((await lstat(device)).isCharacterDevice(), 'still a character device');
      assert.deepEqual(await readdir(dir), ['null'], 'nothing written beside it');
    });

    test('a link to /proc/self/fd/1 (as /dev/stdout) writes every byte to stdout', async () => {
      const bytes = await expected(args);
      const dir = await freshDir();
      const link = join(dir, 'stdout');
      await symlink('/proc/self/fd/1', link);
      const count = await shell('node "$@" | wc -c', args(link));
      assert.equal(Number(count.trim()), bytes.length);
      assert.equal(await readlink(link), '/proc/self/fd/1', 'the link is untouched');
      assert.deepEqual(await readdir(dir), ['stdout']);
    });

    test('a FIFO is written in place, to its reader', async () => {
      const bytes = await expected(args);
      const dir = await freshDir();
      const fifo = join(dir, 'fifo');
      const copy = join(f.work, `fifo-copy-${serial++}`);
      await execa('mkfifo', [fifo]);
      await shell(`cat "${fifo}" > "${copy}" & node "$@"; wait`, args(fifo));
      assert.ok((await lstat(fifo)).isFIFO(), 'still a FIFO');
      assert.ok((await readFile(copy)).equals(bytes), 'the reader got the output');
      assert.deepEqual(await readdir(dir), ['fifo']);
    });

    test('a symlink to a file writes through to the file; the link stays', async () => {
      const bytes = await expected(args);
      const dir = await freshDir();
      const target = join(dir, 'target');
      const link = join(dir, 'link');
      await writeFile(target, 'old');
      await symlink('target', link);
      const result = await runCli(args(link));
      assert.equal(result.exitCode, 0, String(result.stderr));
      assert.ok((await lstat(link)).isSymbolicLink(), 'still a symlink');
      assert.ok((await readFile(target)).equals(bytes), 'the target holds the output');
      assert.deepEqual((await readdir(dir)).sort(), ['link', 'target']);
    });

    test('a dangling symlink creates the file it names', async () => {
      const bytes = await expected(args);
      const dir = await freshDir();
      const link = join(dir, 'link');
      await symlink('new-target', link);
      const result = await runCli(args(link));
      assert.equal(result.exitCode, 0, String(result.stderr));
      assert.ok((await lstat(link)).isSymbolicLink(), 'still a symlink');
      assert.ok((await readFile(join(dir, 'new-target'))).equals(bytes));
    });

    test('a directory: one line naming it, exit 1, the directory untouched', async () => {
      const dir = await freshDir();
      const result = await runCli(args(dir));
      assertCleanFailure(result, new RegExp(`${dir} is a directory; give a file path$`));
      assert.ok((await stat(dir)).isDirectory());
      assert.deepEqual(await readdir(dir), []);
    });

    test('an error names the path given, never the hidden temporary file', async () => {
      const dir = await freshDir();
      const out = join(dir, 'missing-dir', 'out');
      const result = await runCli(args(out));
      const line = assertCleanFailure(result, /ENOENT/);
      assert.ok(line.includes(out), line);
      assert.ok(!line.includes('partial'), line);
    });
  });
}

// Outputs that are directories (layer.tar and checksum go inside): tar-tree, customise and
// build-image layer --out.
const directoryCommands: Record<string, (out: string) => string[]> = {
  'tar-tree --out': (out) => ['tar-tree', '--root', f.lib, '--out', out, '--owner', '0:0'],
  'customise --out': (out) => ['customise', '--into', join(f.work, `tree-${serial++}`), '--out', out, f.app],
  'build-image layer --out': (out) => ['build-image', 'layer', '--root', f.lib, '--out', out],
};

for (const [name, args] of Object.entries(directoryCommands)) {
  describe(name, () => {
    test('under /proc: one line, at once (Node\'s recursive mkdir loops there forever)', async () => {
      const result = await runCli(args('/proc/nix-strata-test/out'), { timeout: 20_000 });
      assertCleanFailure(result, /cannot write \/proc\/nix-strata-test\/out: ENOENT/);
    });

    test('under a regular file: one line naming the path', async () => {
      const dir = await freshDir();
      await writeFile(join(dir, 'file'), 'x');
      const result = await runCli(args(join(dir, 'file', 'out')));
      assertCleanFailure(result, /cannot write .*\/file\/out: ENOTDIR/);
      assert.deepEqual(await readdir(dir), ['file']);
    });

    test('an existing file as the directory: one line, the file untouched', async () => {
      const dir = await freshDir();
      await writeFile(join(dir, 'file'), 'x');
      const result = await runCli(args(join(dir, 'file')));
      assertCleanFailure(result, /file exists and is not a directory; give a directory path$/);
      assert.equal(await readFile(join(dir, 'file'), 'utf8'), 'x');
    });

    test('missing parents are created, as mkdir -p does', async () => {
      const out = join(await freshDir(), 'a', 'b');
      const result = await runCli(args(out));
      assert.equal(result.exitCode, 0, String(result.stderr));
      assert.deepEqual((await readdir(out)).sort(), ['checksum', 'layer.tar']);
    });
  });
}

// The trees built in place (merge-contents and copy-to-root --into) share the bounded mkdir.
for (const [name, args] of Object.entries({
  'merge-contents --into': (into: string) => ['merge-contents', '--into', into, f.app],
  'build-image copy-to-root --into': (into: string) => ['build-image', 'copy-to-root', '--into', into, f.app],
})) {
  test(`${name} under /proc: one line, at once`, async () => {
    const result = await runCli(args('/proc/nix-strata-test/into'), { timeout: 20_000 });
    assertCleanFailure(result, /\/proc\/nix-strata-test\/into.*ENOENT/);
  });
}
