// Issue 14 #2: while a tree is pinned, deleting its entries frees no inode number, so files and
// directories made afterwards cannot inherit a deleted entry's fakeroot record.
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { lstat, mkdir, mkdtemp, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { pinInodes } from '../../src/build-image/pin-inodes.ts';
import { UserError } from '../../src/errors.ts';

const cli = fileURLToPath(new URL('../../bin/nix-strata.js', import.meta.url));
let dir: string;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'nix-strata-pin-'));
});
after(() => rm(dir, { recursive: true, force: true }));

async function inode(path: string): Promise<number> {
  return (await lstat(path)).ino;
}

describe('pinInodes', () => {
  it('keeps the inode numbers of deleted files, symlinks and directories from being reused', async () => {
    const root = join(dir, 'tree');
    await mkdir(join(root, 'data', 'sub'), { recursive: true });
    for (let i = 0; i < 8; i++) await writeFile(join(root, 'data', `keep${i}`), 'secret\n');
    await symlink('keep0', join(root, 'data', 'link'));
    await mkdir(join(root, 'dev'));
    await writeFile(join(root, 'dev', 'null'), '');
    const pinned = pinInodes({ root, links: join(dir, 'links'), exclude: ['dev'] });
    try {
      assert.equal(pinned.files, 9, 'eight files and the symlink, not the excluded dev/null');
      assert.equal(pinned.directories, 3, 'the root, data and data/sub');
      const names = await readdir(join(root, 'data'));
      const old = new Set(await Promise.all([...names.map((name) => inode(join(root, 'data', name))), inode(join(root, 'data'))]));
      await rm(join(root, 'data'), { recursive: true });
      await mkdir(join(root, 'data'));
      const made: number[] = [await inode(join(root, 'data'))];
      for (let i = 0; i < 8; i++) {
        await writeFile(join(root, 'data', `public${i}`), 'public\n');
        await mkdir(join(root, 'data', `dir${i}`));
        made.push(await inode(join(root, 'data', `public${i}`)), await inode(join(root, 'data', `dir${i}`)));
      }
      assert.deepEqual(made.filter((number) => old.has(number)), [], 'no new entry got a deleted entry\'s inode number');
    } finally {
      pinned.release();
    }
  });

  it('refuses a links directory that already exists, in one line', async () => {
    const root = join(dir, 'tree-b');
    await mkdir(root);
    await mkdir(join(dir, 'links-b'));
    assert.throws(() => pinInodes({ root, links: join(dir, 'links-b') }), (error: unknown) => error instanceof UserError && /EEXIST/.test(error.message));
  });

  it('says which limit to raise when there are more directories than open files allowed', async () => {
    const root = join(dir, 'tree-c');
    for (let i = 0; i < 64; i++) await mkdir(join(root, `d${i}`), { recursive: true });
    const result = await promisify(execFile)('prlimit', ['--nofile=40:40', process.execPath, cli, 'build-image', 'pin', '--root', root, '--links', join(dir, 'links-c')])
      .then(() => undefined, (error: { code?: number; stderr?: string }) => error);
    assert.ok(result, 'the pin command fails');
    assert.notEqual(result.code, 0);
    const lines = String(result.stderr).trim().split('\n');
    assert.equal(lines.length, 1, String(result.stderr));
    assert.match(lines[0]!, /^nix-strata: cannot hold more than \d+ directories of .*tree-c open for runAsRoot \(open-file limit reached\); raise the build's limit/);
  });

  it('as a command, says "pinned FILES DIRS" once pinned and holds until its stdin ends', async () => {
    const root = join(dir, 'tree-e');
    await mkdir(join(root, 'sub'), { recursive: true });
    await writeFile(join(root, 'sub', 'file'), 'x');
    const child = spawn(process.execPath, [cli, 'build-image', 'pin', '--root', root, '--links', join(dir, 'links-e')], { stdio: ['pipe', 'pipe', 'inherit'] });
    const [line] = await once(child.stdout, 'data') as [Buffer];
    assert.equal(line.toString(), 'pinned 1 2\n');
    assert.equal(child.exitCode, null, 'still holding');
    child.stdin.end();
    const [code] = await once(child, 'exit') as [number];
    assert.equal(code, 0);
  });

  it('is a UserError when the tree cannot be walked', () => {
    assert.throws(() => pinInodes({ root: join(dir, 'missing'), links: join(dir, 'links-d') }), (error: unknown) => error instanceof UserError && /cannot keep the inodes of/.test(error.message));
  });
});
