import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { execFile } from 'node:child_process';
import { chmod, chown, link, mkdir, mkdtemp, readFile, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import tar from 'tar-stream';
import { writeLayerTar, treeOrder } from '../../src/build-image/layer-tar.ts';
import { snapshotTree } from '../../src/build-image/snapshot.ts';

let dir: string;

async function entries(file: string): Promise<Array<{ name: string; type: string; mode: number; uid: number; gid: number; mtime: number; linkname: string | null; content: string }>> {
  const extract = tar.extract();
  const result: Array<{ name: string; type: string; mode: number; uid: number; gid: number; mtime: number; linkname: string | null; content: string }> = [];
  const done = (async () => {
    for await (const entry of extract) {
      const chunks: Buffer[] = [];
      for await (const chunk of entry) chunks.push(chunk as Buffer);
      const h = entry.header;
      result.push({ name: h.name, type: h.type ?? '', mode: h.mode ?? 0, uid: h.uid ?? 0, gid: h.gid ?? 0, mtime: (h.mtime?.getTime() ?? 0) / 1000, linkname: h.linkname ?? null, content: Buffer.concat(chunks).toString() });
    }
  })();
  extract.end(await readFile(file));
  await done;
  return result;
}

async function makeTree(root: string): Promise<void> {
  await mkdir(join(root, 'etc'), { recursive: true });
  await mkdir(join(root, 'var/lib/gone/deeper'), { recursive: true });
  await mkdir(join(root, 'opaque/keep'), { recursive: true });
  await writeFile(join(root, 'etc/motd'), 'base\n');
  await writeFile(join(root, 'etc/doomed'), 'x\n');
  await writeFile(join(root, 'var/lib/gone/deeper/file'), 'x\n');
  await writeFile(join(root, 'opaque/old'), 'old\n');
  await writeFile(join(root, 'untouched'), 'same\n');
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'nix-strata-layer-tar-'));
});
after(() => rm(dir, { recursive: true, force: true }));

describe('writeLayerTar', () => {
  it('archives a whole tree in name order with a forced owner and the fixed mtime', async () => {
    const root = join(dir, 'whole');
    await makeTree(root);
    await symlink('motd', join(root, 'etc/link'));
    const { digest } = await writeLayerTar({ root, outDir: join(dir, 'whole-out'), owner: { uid: 1234, gid: 5678 } });
    const list = await entries(join(dir, 'whole-out/layer.tar'));
    assert.deepEqual(list.map((e) => e.name), [
      './', './etc/', './etc/doomed', './etc/link', './etc/motd', './opaque/', './opaque/keep/', './opaque/old',
      './untouched', './var/', './var/lib/', './var/lib/gone/', './var/lib/gone/deeper/', './var/lib/gone/deeper/file',
    ]);
    assert.ok(list.every((e) => e.uid === 1234 && e.gid === 5678 && e.mtime === 315532800));
    assert.equal(list.find((e) => e.name === './etc/link')?.linkname, 'motd');
    const bytes = await readFile(join(dir, 'whole-out/layer.tar'));
    assert.equal(`sha256:${createHash('sha256').update(bytes).digest('hex')}`, digest);
    assert.equal((await readFile(join(dir, 'whole-out/checksum'), 'utf8')).trim(), digest.slice(7));
  });

  it('archives only what changed since a snapshot, with whiteouts and an opaque marker', async () => {
    const root = join(dir, 'diff');
    await makeTree(root);
    const before = await snapshotTree(root);
    await writeFile(join(root, 'etc/motd'), 'changed\n');
    await rm(join(root, 'etc/doomed'));
    await rm(join(root, 'var/lib/gone'), { recursive: true });
    await mkdir(join(root, 'home/alice'), { recursive: true });
    // Root gives it away; anyone else can only record their own ids (as customise.test.ts does).
    const [uid, gid] = process.getuid?.() === 0 ? [1000, 1000] : [process.getuid!(), process.getgid!()];
    await chown(join(root, 'home/alice'), uid, gid);
    await chmod(join(root, 'home/alice'), 0o700);
    // Made again while the old directory still exists, so the new one surely has another inode
    // (a plain rm + mkdir may reuse it; then the deleted children get whiteouts instead).
    await rename(join(root, 'opaque'), join(root, 'opaque-old'));
    await mkdir(join(root, 'opaque/keep'), { recursive: true });
    await rm(join(root, 'opaque-old'), { recursive: true });
    await writeFile(join(root, 'opaque/new'), 'new\n');
    await writeLayerTar({ root, outDir: join(dir, 'diff-out'), before });
    const list = await entries(join(dir, 'diff-out/layer.tar'));
    assert.deepEqual(list.map((e) => e.name), [
      './', './etc/', './etc/.wh.doomed', './etc/motd', './home/', './home/alice/',
      './opaque/', './opaque/.wh..wh..opq', './opaque/keep/', './opaque/new', './var/', './var/lib/', './var/lib/.wh.gone',
    ]);
    const byName = new Map(list.map((e) => [e.name, e]));
    assert.equal(byName.get('./etc/motd')?.content, 'changed\n');
    assert.deepEqual([byName.get('./home/alice/')?.uid, byName.get('./home/alice/')?.gid, byName.get('./home/alice/')?.mode], [uid, gid, 0o700]);
    assert.deepEqual([byName.get('./etc/.wh.doomed')?.type, byName.get('./etc/.wh.doomed')?.mode, byName.get('./etc/.wh.doomed')?.uid], ['file', 0o600, 0]);
  });

  it('leaves out excluded paths (the fake chroot\'s mount points)', async () => {
    const root = join(dir, 'excluded');
    await makeTree(root);
    const before = await snapshotTree(root, ['proc', 'dev']);
    await mkdir(join(root, 'proc/self'), { recursive: true });
    await mkdir(join(root, 'dev'), { recursive: true });
    await writeLayerTar({ root, outDir: join(dir, 'excluded-out'), before, exclude: ['proc', 'dev'] });
    assert.deepEqual((await entries(join(dir, 'excluded-out/layer.tar'))).map((e) => e.name), ['./']);
  });

  it('writes a whole tree byte for byte as the snapshot path does with nothing before it', async () => {
    // The whole-tree case is tar-tree.ts's writeTreeTar (Node's lstat when the owner is forced,
    // find otherwise); an empty `before` takes the snapshot path, which carries every entry.
    const root = join(dir, 'same');
    await makeTree(root);
    for (const name of ['a', 'a.b', 'a-b', 'a/z', 'proc/self', 'x/y/z', 'sticky']) await mkdir(join(root, name), { recursive: true });
    await writeFile(join(root, 'a/z/empty'), '');
    await writeFile(join(root, 'x/y/z/excluded'), 'x\n');
    await writeFile(join(root, 'x/kept'), 'kept\n');
    await writeFile(join(root, 'setuid'), '#!/bin/sh\n');
    await chmod(join(root, 'setuid'), 0o4755);
    await chmod(join(root, 'sticky'), 0o1777);
    await chmod(join(root, 'etc/motd'), 0o640);
    await link(join(root, 'etc/motd'), join(root, 'a/hardlink'));
    await symlink('../etc/motd', join(root, 'a/symlink'));
    await symlink('/nowhere', join(root, 'dangling'));
    await writeFile(Buffer.from(`${root}/latin1-\xe9`, 'latin1'), 'not utf-8\n');
    await promisify(execFile)('mkfifo', [join(root, 'fifo')]);
    // A device needs root; without it the rest still compares.
    await promisify(execFile)('mknod', [join(root, 'null'), 'c', '1', '3']).catch(() => undefined);
    // Sockets are skipped by both.
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(join(root, 'socket'), resolve));
    await chmod(root, 0o750);
    try {
      const exclude = ['proc', './x/y/', 'missing'];
      for (const [label, owner, rootArg] of [['forced owner', { uid: 1234, gid: 5678 }, root], ['listed owner', undefined, root], ['trailing slash', { uid: 0, gid: 0 }, `${root}/`]] as const) {
        const whole = await writeLayerTar({ root: rootArg, outDir: join(dir, `same-whole-${label}`), exclude, ...(owner ? { owner } : {}) });
        const viaSnapshot = await writeLayerTar({ root: rootArg, outDir: join(dir, `same-snapshot-${label}`), exclude, before: new Map(), ...(owner ? { owner } : {}) });
        const bytes = await readFile(join(dir, `same-whole-${label}/layer.tar`));
        assert.ok(bytes.equals(await readFile(join(dir, `same-snapshot-${label}/layer.tar`))), `${label}: layer.tar differs`);
        assert.deepEqual(whole, viaSnapshot, label);
        assert.equal(await readFile(join(dir, `same-whole-${label}/checksum`), 'utf8'), await readFile(join(dir, `same-snapshot-${label}/checksum`), 'utf8'));
        const names = (await entries(join(dir, `same-whole-${label}/layer.tar`))).map((e) => e.name);
        assert.ok(names.includes('./a/hardlink') && names.includes('./fifo') && names.includes('./x/kept') && names.includes('./sticky/'), label);
        assert.ok(!names.some((name) => name.startsWith('./proc') || name.startsWith('./x/y') || name === './socket'), label);
      }
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it('orders paths component-wise, as tar --sort=name walks a tree', () => {
    const sorted = treeOrder(['a.b', 'a/z', '', 'a', 'a-b'].map((path) => ({ path }))).map((e) => e.path);
    assert.deepEqual(sorted, ['', 'a', 'a/z', 'a-b', 'a.b']);
  });
});
