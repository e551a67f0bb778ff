// Store layers compared byte for byte with CPython's tarfile (PAX mode), an independent writer
// of the dialect format.md §3 describes, over trees that hit every pax and ordering rule.
import { strict as assert } from 'node:assert';
import { chmodSync, linkSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { execa } from 'execa';
import { storeLayerStream, type StoreLayerOwnership } from '../../src/tar/store-layer.ts';
import { collect, sha256Hex, tempDir } from './fixtures.ts';

const SCRIPT = join(import.meta.dirname, 'fixtures-data/cpython-layer.py');
const APP = '/nix/store/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-app';
const LINK = '/nix/store/bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb-link';
const PLAIN = '/nix/store/cccccccccccccccccccccccccccccccc-plain';

async function reference(root: string, out: string, owner: StoreLayerOwnership, paths: string[]): Promise<Buffer> {
  await execa('python3', [SCRIPT, root, out, String(owner.uid), String(owner.gid), owner.uname, owner.gname, String(owner.mtime), ...paths]);
  return readFileSync(out);
}

describe('store layer = CPython tarfile PAX output', () => {
  const tree = tempDir();
  before(() => {
    const app = join(tree.path, APP);
    // With the 38-byte "/nix/store/<hash>-app/" prefix (plus "/" for a directory), a name of
    // 62 bytes makes exactly 100 characters and 63 makes 101.
    const prefixLength = APP.length + 1;
    const fits = 'f'.repeat(100 - prefixLength);
    const over = 'o'.repeat(101 - prefixLength);
    for (const sub of ['lib', 'lib/sub', 'lib-x', 'lib.d', 'empty', 'deep/a/b/c/d/e/f/g/h/i/j', 'd'.repeat(99 - prefixLength), 'e'.repeat(100 - prefixLength)]) {
      mkdirSync(join(app, sub), { recursive: true });
    }
    writeFileSync(join(app, fits), '100\n');
    writeFileSync(join(app, over), '101\n');
    writeFileSync(join(app, 'lib/a.so'), 'a');
    writeFileSync(join(app, 'lib-x/f'), 'f');
    writeFileSync(join(app, 'lib.d/conf'), 'c');
    writeFileSync(join(app, 'deep/a/b/c/d/e/f/g/h/i/j/leaf'), 'leaf');
    writeFileSync(join(app, `${'n'.repeat(200)}`), 'long');
    writeFileSync(join(app, 'héllo'), 'short unicode');
    writeFileSync(join(app, '日本語-🚀'), 'cjk and emoji');
    writeFileSync(Buffer.from(`${app}/bad-\xff-byte`, 'latin1'), 'undecodable');
    writeFileSync(Buffer.concat([Buffer.from(`${app}/`), Buffer.from([0xc3])]), 'lone lead byte');
    writeFileSync(join(app, 'big'), Buffer.alloc(5 * 1024 * 1024 + 123, 0x5a));
    linkSync(join(app, 'big'), join(app, 'big2'));
    writeFileSync(join(app, 'suid'), '#!/bin/sh\n');
    chmodSync(join(app, 'suid'), 0o6755);
    chmodSync(join(app, 'empty'), 0o1777);
    symlinkSync('t'.repeat(100), join(app, 'link-100'));
    symlinkSync('t'.repeat(101), join(app, 'link-101'));
    symlinkSync('../ünïcode', join(app, 'link-unicode'));
    symlinkSync('lib', join(app, 'link-dir'));
    symlinkSync(APP, join(tree.path, LINK));
    writeFileSync(join(tree.path, PLAIN), 'plain\n');
    chmodSync(join(tree.path, PLAIN), 0o444);
  });
  after(() => tree.cleanup());

  const owners: Array<[string, StoreLayerOwnership]> = [
    ['root', { uid: 0, gid: 0, uname: 'root', gname: 'root', mtime: 1 }],
    ['large ids, long and unicode names, far mtime', { uid: 2 ** 21, gid: 70000, uname: 'u'.repeat(33), gname: 'grüppe', mtime: 8 ** 11 }],
  ];
  for (const [label, owner] of owners) {
    it(`matches byte for byte (${label})`, async () => {
      const paths = [LINK, APP, PLAIN];
      const mine = await collect(storeLayerStream(paths, { ...owner, root: tree.path }));
      const theirs = await reference(tree.path, join(tree.path, 'reference.tar'), owner, paths);
      assert.equal(mine.length, theirs.length);
      assert.equal(sha256Hex(mine), sha256Hex(theirs));
    });
  }
});
