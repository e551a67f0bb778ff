import assert from 'node:assert/strict';
import { chmod, lstat, mkdir, mkdtemp, readFile, readlink, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { copyToRoot } from '../../src/build-image/copy-to-root.ts';
import { UserError } from '../../src/errors.ts';
import { removeTree } from '../tar/fixtures.ts';

let dir: string;
let first: string;
let second: string;
let shared: string;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'nix-strata-copy-to-root-'));
  // A store-like item: read-only directories, an executable, a relative and an absolute symlink,
  // and a symlink to a directory elsewhere (copied as that directory unless keepDirlinks).
  shared = join(dir, 'shared');
  await mkdir(join(shared, 'doc'), { recursive: true });
  await writeFile(join(shared, 'doc', 'README'), 'shared doc\n');
  first = join(dir, 'first');
  await mkdir(join(first, 'bin'), { recursive: true });
  await writeFile(join(first, 'bin', 'tool'), '#!/bin/sh\n');
  await chmod(join(first, 'bin', 'tool'), 0o555);
  await symlink('tool', join(first, 'bin', 'alias'));
  await symlink('/nix/store/x-elsewhere/bin/other', join(first, 'bin', 'other'));
  await symlink(join(shared, 'doc'), join(first, 'doc'));
  await chmod(join(first, 'bin'), 0o555);
  await chmod(first, 0o555);
  second = join(dir, 'second');
  await mkdir(join(second, 'bin'), { recursive: true });
  await writeFile(join(second, 'bin', 'tool'), 'second wins\n');
  await chmod(join(second, 'bin', 'tool'), 0o444);
  await writeFile(join(second, 'bin', 'extra'), 'extra\n');
});
after(() => removeTree(dir));

describe('copyToRoot (rsync -a semantics)', () => {
  it('copies files and symlinks, keeps modes, merges directories, later items win', async () => {
    const into = join(dir, 'root-a');
    await copyToRoot({ into, items: [first, second], keepDirlinks: false });
    assert.equal(await readFile(join(into, 'bin', 'tool'), 'utf8'), 'second wins\n');
    assert.equal((await lstat(join(into, 'bin', 'tool'))).mode & 0o7777, 0o444);
    assert.equal(await readlink(join(into, 'bin', 'alias')), 'tool');
    assert.equal(await readlink(join(into, 'bin', 'other')), '/nix/store/x-elsewhere/bin/other');
    assert.equal(await readFile(join(into, 'bin', 'extra'), 'utf8'), 'extra\n');
    // A directory in several items takes the last one's mode, as with successive rsync runs.
    assert.equal((await lstat(join(into, 'bin'))).mode & 0o7777, 0o755);
    // The root gets the item's mode plus ug+w, as nixpkgs' `chmod ug+w layer`.
    assert.equal((await lstat(into)).mode & 0o7777, 0o775);
  });

  it('copies a symlink to a directory as the directory (-k) by default', async () => {
    const into = join(dir, 'root-b');
    await copyToRoot({ into, items: [first], keepDirlinks: false });
    // The read-only directory keeps its mode, applied after it was filled.
    assert.equal((await lstat(join(into, 'bin'))).mode & 0o7777, 0o555);
    const info = await lstat(join(into, 'doc'));
    assert.ok(info.isDirectory());
    assert.equal(await readFile(join(into, 'doc', 'README'), 'utf8'), 'shared doc\n');
  });

  it('with keepDirlinks keeps source symlinks and fills a directory symlink already in the root (-K)', async () => {
    const into = join(dir, 'root-c');
    const real = join(dir, 'root-c-real-bin');
    await mkdir(into, { recursive: true });
    await mkdir(real);
    await symlink(real, join(into, 'bin'));
    await copyToRoot({ into, items: [first, second], keepDirlinks: true });
    assert.ok((await lstat(join(into, 'bin'))).isSymbolicLink(), 'the existing dirlink stays');
    assert.equal(await readFile(join(real, 'extra'), 'utf8'), 'extra\n');
    assert.ok((await lstat(join(into, 'doc'))).isSymbolicLink(), 'a source symlink to a directory stays a symlink');
  });

  it('replaces an existing symlink by a directory without keepDirlinks', async () => {
    const into = join(dir, 'root-d');
    await mkdir(into, { recursive: true });
    await symlink('/nonexistent', join(into, 'bin'));
    await copyToRoot({ into, items: [second], keepDirlinks: false });
    assert.ok((await lstat(join(into, 'bin'))).isDirectory());
  });

  it('rejects an element that is not a directory', async () => {
    await assert.rejects(copyToRoot({ into: join(dir, 'root-e'), items: [join(second, 'bin', 'extra')], keepDirlinks: false }),
      (error: unknown) => error instanceof UserError && /is not a directory/.test(error.message));
  });

  // Issue 14 #3: a later element's file or dangling symlink silently deleted a directory tree.
  it('refuses a later file or dangling symlink where an earlier element has a non-empty directory, naming both and the path', async () => {
    const withFile = join(dir, 'conflict-file');
    await mkdir(withFile);
    await writeFile(join(withFile, 'bin'), 'not a directory\n');
    const withLink = join(dir, 'conflict-link');
    await mkdir(withLink);
    await symlink('/nonexistent', join(withLink, 'bin'));
    for (const [later, what] of [[withFile, 'a file'], [withLink, 'a symlink']] as const) {
      const into = join(dir, `root-conflict-${basename(later)}`);
      await assert.rejects(copyToRoot({ into, items: [second, later], keepDirlinks: false }), (error: unknown) => {
        assert.ok(error instanceof UserError);
        assert.equal(error.message, `copyToRoot element ${later} has ${what} at /bin, where copyToRoot element ${second} has a non-empty directory; rsync (nixpkgs) refuses to delete it: rename or remove one of them`);
        return true;
      });
      assert.equal(await readFile(join(into, 'bin', 'extra'), 'utf8'), 'extra\n', 'the directory is left as it was');
    }
  });

  it('names the image below when the directory was already in the root', async () => {
    const into = join(dir, 'root-conflict-base');
    await mkdir(join(into, 'bin'), { recursive: true });
    await writeFile(join(into, 'bin', 'from-base'), 'base\n');
    const withFile = join(dir, 'conflict-file');
    await assert.rejects(copyToRoot({ into, items: [withFile], keepDirlinks: false }),
      (error: unknown) => error instanceof UserError && error.message.includes('where the image below (fromImage) has a non-empty directory'));
  });

  it('replaces an empty directory by a later file, which keeps its own mode', async () => {
    const emptyDir = join(dir, 'empty-dir');
    await mkdir(join(emptyDir, 'bin'), { recursive: true });
    await chmod(join(emptyDir, 'bin'), 0o555);
    const into = join(dir, 'root-empty-dir');
    await copyToRoot({ into, items: [emptyDir, join(dir, 'conflict-file')], keepDirlinks: false });
    const info = await lstat(join(into, 'bin'));
    assert.ok(info.isFile());
    assert.equal(info.mode & 0o7777, 0o644);
  });
});
