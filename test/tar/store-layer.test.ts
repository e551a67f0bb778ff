import { strict as assert } from 'node:assert';
import { chmodSync, linkSync, mkdirSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { execa } from 'execa';
import { UserError } from '../../src/errors.ts';
import { CHUNK_SIZE } from '../../src/tar/chunks.ts';
import { storeLayerChunks, storeLayerPlan, storeLayerStream } from '../../src/tar/store-layer.ts';
import { WalkRecorder } from '../../src/tar/walk-record.ts';
import { buildVectorTree, collect, DEMO, NOTE, readTar, ROOT_OWNER, sha256Hex, tempDir } from './fixtures.ts';

describe('store layer: format.md §4.5 vectors', () => {
  const tree = tempDir();
  before(() => buildVectorTree(tree.path));
  after(() => tree.cleanup());

  const vectors = [
    { name: 'A', paths: [], owner: ROOT_OWNER, sha: '51bd17f30e93810af6bf5676577745937afc69e167332e2b5d345b00a478c823' },
    { name: 'B', paths: [], owner: { uid: 1000, gid: 1000, uname: 'user', gname: 'user', mtime: 1 }, sha: '8c24f959af26bd7ee61ea620a764fb24f16a1b8e009fd71e017bd95ba5d8f0c8' },
    { name: 'C', paths: [DEMO, NOTE], owner: ROOT_OWNER, sha: 'a690232b32e25880104b33ef304580fd4e002e227f570fc2a143317ec7087548' },
    { name: 'D', paths: [NOTE, DEMO], owner: ROOT_OWNER, sha: '561489beb41d5ac60b12c387e72a2978702ffa9fc02729df943f90f30687bd3a' },
  ];
  for (const vector of vectors) {
    it(`reproduces vector ${vector.name}`, async () => {
      const bytes = await collect(storeLayerStream(vector.paths, { ...vector.owner, root: tree.path }));
      assert.equal(bytes.length, 10240);
      assert.equal(sha256Hex(bytes), vector.sha);
      assert.equal(storeLayerPlan(vector.paths, { ...vector.owner, root: tree.path }).size, 10240, 'the size from lstat alone');
    });
  }

  it('gives the same bytes whatever the chunk size (chunk boundaries inside headers and contents)', async () => {
    for (const chunkSize of [1, 7, 511, 513, 4096]) {
      const bytes = await collect(storeLayerStream([DEMO, NOTE], { ...ROOT_OWNER, root: tree.path, chunkSize }));
      assert.equal(sha256Hex(bytes), vectors[2]!.sha, `chunk size ${chunkSize}`);
    }
  });

  it('lays out vector C exactly as the offset table says', async () => {
    const bytes = await collect(storeLayerStream([DEMO, NOTE], { ...ROOT_OWNER, root: tree.path }));
    const table: Array<[offset: number, name: string, type: string, mode: string, size: number, checksum: string]> = [
      [0, '/nix/', '5', '0755', 0, '010433'],
      [512, '/nix/store/', '5', '0755', 0, '011567'],
      [1024, `${DEMO}/`, '5', '0555', 0, '015566'],
      [1536, `${DEMO}/bin/`, '5', '0555', 0, '016336'],
      [2048, `${DEMO}/bin/demo`, '0', '0555', 18, '017202'],
      [3072, `${DEMO}/lib`, '2', '0777', 0, '016751'],
      [3584, `${DEMO}/share/`, '5', '0555', 0, '016670'],
      [4096, `${DEMO}/share/doc-copy.txt`, '0', '0444', 4, '021140'],
      [5120, `${DEMO}/share/doc.txt`, '0', '0444', 4, '020170'],
      [6144, '././@PaxHeader', 'x', '0000', 159, '010217'],
      [7168, `${DEMO}/share/${'x'.repeat(90)}.txt`.slice(0, 100), '0', '0444', 5, '031315'],
      [8192, NOTE, '0', '0444', 5, '016403'],
    ];
    for (const [offset, name, type, mode, size, checksum] of table) {
      const block = bytes.subarray(offset, offset + 512);
      assert.equal(block.subarray(0, 100).toString('latin1').replace(/\0+$/, ''), name, `name at ${offset}`);
      assert.equal(block.toString('latin1', 156, 157), type, `type at ${offset}`);
      assert.equal(block.toString('latin1', 100, 108), `000${mode}\0`, `mode at ${offset}`);
      assert.equal(parseInt(block.toString('latin1', 124, 135), 8), size, `size at ${offset}`);
      assert.equal(block.toString('latin1', 148, 156), `${checksum}\0 `, `checksum at ${offset}`);
    }
    assert.equal(bytes.toString('latin1', 3072 + 157, 3072 + 161), 'bin\0');
    assert.equal(bytes.toString('utf8', 6656, 6656 + 159), `159 path=${DEMO}/share/${'x'.repeat(90)}.txt\n`);
    assert.ok(bytes.subarray(9216).every((byte) => byte === 0));
  });
});

describe('store layer: tricky trees', () => {
  const tree = tempDir();
  const app = '/nix/store/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-app';
  const link = '/nix/store/bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb-link';
  const plain = '/nix/store/cccccccccccccccccccccccccccccccc-plain.sh';
  const longName = `${'n'.repeat(150)}.txt`;
  const unicode = 'héllo-wörld-日本-🚀.txt';
  const absoluteTarget = `/nix/store/dddddddddddddddddddddddddddddddd-${'t'.repeat(120)}/bin/x`;

  before(() => {
    const root = join(tree.path, app);
    for (const dir of ['lib', 'lib/sub', 'lib-x', 'lib.d', 'deep/a/b/c/d/e/f/g', 'empty', '.hidden']) {
      mkdirSync(join(root, dir), { recursive: true });
    }
    writeFileSync(join(root, 'lib/a.so'), 'a');
    writeFileSync(join(root, 'lib/zz'), 'zz');
    writeFileSync(join(root, 'lib-x/f'), 'f');
    writeFileSync(join(root, 'lib.d/conf'), 'conf');
    writeFileSync(join(root, 'deep/a/b/c/d/e/f/g/leaf'), 'leaf\n');
    writeFileSync(join(root, '.hidden/.dot'), '.');
    writeFileSync(join(root, longName), 'long name\n');
    writeFileSync(join(root, unicode), 'unicode\n');
    writeFileSync(join(root, 'setuid'), '#!/bin/sh\n');
    chmodSync(join(root, 'setuid'), 0o4755);
    writeFileSync(join(root, 'big'), Buffer.alloc(3 * 1024 * 1024 + 17, 0x61));
    linkSync(join(root, 'big'), join(root, 'big-hardlink'));
    symlinkSync('lib/a.so', join(root, 'rel-link'));
    symlinkSync(absoluteTarget, join(root, 'abs-link'));
    symlinkSync('lib', join(root, 'dir-link'));
    symlinkSync(app, join(tree.path, link));
    writeFileSync(join(tree.path, plain), 'echo plain\n');
    chmodSync(join(tree.path, plain), 0o555);
    chmodSync(join(root, 'lib'), 0o555);
  });
  after(() => tree.cleanup());

  const expectedNames = [
    '/nix/', '/nix/store/',
    `${link}`,
    `${app}/`,
    `${app}/.hidden/`, `${app}/.hidden/.dot`,
    `${app}/abs-link`, `${app}/big`, `${app}/big-hardlink`,
    `${app}/deep/`, `${app}/deep/a/`, `${app}/deep/a/b/`, `${app}/deep/a/b/c/`, `${app}/deep/a/b/c/d/`,
    `${app}/deep/a/b/c/d/e/`, `${app}/deep/a/b/c/d/e/f/`, `${app}/deep/a/b/c/d/e/f/g/`, `${app}/deep/a/b/c/d/e/f/g/leaf`,
    `${app}/dir-link`, `${app}/empty/`,
    `${app}/${unicode}`,
    `${app}/lib/`, `${app}/lib/a.so`, `${app}/lib/sub/`, `${app}/lib/zz`,
    `${app}/lib-x/`, `${app}/lib-x/f`,
    `${app}/lib.d/`, `${app}/lib.d/conf`,
    `${app}/${longName}`,
    `${app}/rel-link`, `${app}/setuid`,
    plain,
  ];

  it('lists every entry in component-wise order and reads back with tar-stream', async () => {
    const bytes = await collect(storeLayerStream([link, app, plain], { ...ROOT_OWNER, mtime: 1700000000, root: tree.path }));
    assert.equal(bytes.length % 10240, 0);
    const entries = await readTar(bytes);
    const names = entries.map((entry) => entry.header.name + (entry.header.type === 'directory' && !entry.header.name.endsWith('/') ? '/' : ''));
    // expectedNames is written in component-wise order: lib/… before lib-x/… before lib.d/…,
    // where a plain string sort would put lib-x/f and lib.d/conf before lib/a.so.
    assert.deepEqual(names, expectedNames);
    const byName = new Map(entries.map((entry) => [entry.header.name.replace(/\/$/, ''), entry]));
    const get = (name: string) => {
      const entry = byName.get(name);
      assert.ok(entry, `missing ${name}`);
      return entry;
    };
    assert.equal(get(link).header.type, 'symlink');
    assert.equal(get(link).header.linkname, app);
    assert.equal(get(`${app}/rel-link`).header.linkname, 'lib/a.so');
    assert.equal(get(`${app}/abs-link`).header.linkname, absoluteTarget);
    assert.equal(get(`${app}/dir-link`).header.type, 'symlink');
    assert.equal(get(`${app}/dir-link`).header.mode, 0o777);
    assert.equal(get(`${app}/lib`).header.mode, 0o555);
    assert.equal(get(`${app}/setuid`).header.mode, 0o4755);
    assert.equal(get(`${app}/${longName}`).content.toString(), 'long name\n');
    assert.equal(get(`${app}/${unicode}`).content.toString(), 'unicode\n');
    assert.equal(get(`${app}/big`).content.length, 3 * 1024 * 1024 + 17);
    assert.equal(get(`${app}/big-hardlink`).header.type, 'file');
    assert.ok(get(`${app}/big-hardlink`).content.equals(get(`${app}/big`).content));
    assert.equal(get(plain).header.type, 'file');
    assert.equal(get(plain).header.mode, 0o555);
    assert.equal(get(plain).content.toString(), 'echo plain\n');
    for (const entry of entries) {
      assert.equal(entry.header.uid, 0);
      assert.equal(entry.header.uname, 'root');
      assert.equal(entry.header.mtime?.getTime(), 1700000000 * 1000);
    }
    assert.ok(!entries.some((entry) => entry.header.name.startsWith(`${app}/dir-link/`)), 'symlinked dirs are not descended');
  });

  it('is accepted by GNU tar, which sees the same names', async () => {
    const dir = tempDir();
    try {
      const file = join(dir.path, 'layer.tar');
      writeFileSync(file, await collect(storeLayerStream([link, app, plain], { ...ROOT_OWNER, root: tree.path })));
      const { stdout } = await execa('tar', ['-tf', file], { stripFinalNewline: true });
      assert.deepEqual(stdout.split('\n').length, expectedNames.length);
      assert.ok(stdout.split('\n').includes(`${app}/${longName}`));
      assert.ok(stdout.split('\n').includes(`${app}/${unicode}`));
      const verbose = await execa('tar', ['-tvf', file]);
      assert.match(verbose.stdout, new RegExp(`abs-link -> ${absoluteTarget}`));
      assert.match(verbose.stdout, /-rwsr-xr-x root\/root\s+10 .*\/setuid/);
    } finally {
      dir.cleanup();
    }
  });

  it('has the size storeLayerPlan computes without reading, and the same bytes from its recorded walk', async () => {
    for (const owner of [{ ...ROOT_OWNER, mtime: 1700000000 }, { uid: 1000, gid: 1000, uname: 'u'.repeat(40), gname: 'ü', mtime: 1 }]) {
      for (const paths of [[link, app, plain], [plain], [app]]) {
        const options = { ...owner, root: tree.path };
        const bytes = await collect(storeLayerStream(paths, options));
        const plan = storeLayerPlan(paths, options);
        assert.equal(plan.size, bytes.length, `${owner.uname}: ${paths.join(' ')}`);
        assert.ok(plan.walk !== undefined && plan.walk.length > 0);
        // Chunk sizes around a block: headers and small files cross chunk ends or end on them.
        for (const chunkSize of [1, 511, 512, 513, 1000, 1536, 4096]) {
          const replayed = Buffer.concat([...storeLayerChunks(paths, { ...options, chunkSize }, false, undefined, plan.walk)]);
          assert.ok(replayed.equals(bytes), `replayed walk, chunk size ${chunkSize}: ${paths.join(' ')}`);
        }
      }
    }
  });

  it('gives up recording a walk past its limit', () => {
    const recorder = new WalkRecorder(100);
    recorder.entry(1, 0o444, 5, 'a'.repeat(50));
    assert.ok(recorder.bytes() !== undefined);
    recorder.entry(1, 0o444, 5, 'b'.repeat(50));
    assert.equal(recorder.bytes(), undefined);
  });

  it('streams in bounded chunks, never a whole file at once', async () => {
    const sizes: number[] = [];
    for await (const chunk of storeLayerStream([app], { ...ROOT_OWNER, root: tree.path })) sizes.push((chunk as Buffer).length);
    assert.ok(sizes.length >= 4, 'the 3 MiB file spans several chunks');
    assert.ok(sizes.every((size) => size <= CHUNK_SIZE), `chunk sizes ${sizes.join(', ')}`);
  });

  it('is deterministic', async () => {
    const first = await collect(storeLayerStream([app, link, plain], { ...ROOT_OWNER, root: tree.path }));
    const second = await collect(storeLayerStream([app, link, plain], { ...ROOT_OWNER, root: tree.path, chunkSize: 1000 }));
    assert.ok(first.equals(second));
  });
});

describe('store layer: refusing what cannot be archived', () => {
  const tree = tempDir();
  after(() => tree.cleanup());

  async function failure(paths: string[], root = tree.path): Promise<UserError> {
    try {
      await collect(storeLayerStream(paths, { ...ROOT_OWNER, root }));
    } catch (error) {
      assert.ok(error instanceof UserError, `expected a UserError, got ${String(error)}`);
      return error;
    }
    assert.fail('the stream did not fail');
  }

  it('rejects a FIFO inside a store path, naming it', async () => {
    mkdirSync(join(tree.path, 'nix/store/fifo-pkg'), { recursive: true });
    await execa('mkfifo', [join(tree.path, 'nix/store/fifo-pkg/pipe')]);
    const error = await failure(['/nix/store/fifo-pkg']);
    assert.match(error.message, /\/nix\/store\/fifo-pkg\/pipe is a FIFO/);
  });

  it('rejects a socket', async () => {
    mkdirSync(join(tree.path, 'nix/store/sock-pkg'), { recursive: true });
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(join(tree.path, 'nix/store/sock-pkg/s'), resolve));
    try {
      const error = await failure(['/nix/store/sock-pkg']);
      assert.match(error.message, /\/nix\/store\/sock-pkg\/s is a socket/);
    } finally {
      server.close();
    }
  });

  it('rejects a relative store path', async () => {
    const error = await failure(['nix/store/x']);
    assert.match(error.message, /store path "nix\/store\/x" is not absolute/);
  });

  it('rejects a missing store path', async () => {
    const error = await failure(['/nix/store/does-not-exist']);
    assert.match(error.message, /store path \/nix\/store\/does-not-exist.*ENOENT/);
  });

  it('rejects a file that is longer than its stat said (grew while read)', async () => {
    // /proc files report size 0 and then deliver content: the same signature as a growing file.
    const error = await failure(['/proc/self/status'], '/');
    assert.match(error.message, /\/proc\/self\/status changed size/);
  });

  it('rejects a file that cannot be read, naming it', async () => {
    // /proc/self/mem opens but fails to read at offset 0 (EIO), even for root.
    const error = await failure(['/proc/self/mem'], '/');
    assert.match(error.message, /cannot read \/proc\/self\/mem: EIO/);
  });

  it('writes a pax size record for a file of 8 GiB or more without reading it all first', async () => {
    mkdirSync(join(tree.path, 'nix/store/huge'), { recursive: true });
    const huge = join(tree.path, 'nix/store/huge/sparse');
    writeFileSync(huge, '');
    const size = 8 * 1024 ** 3 + 3;
    truncateSync(huge, size);
    const stream = storeLayerStream(['/nix/store/huge'], { ...ROOT_OWNER, root: tree.path });
    const first = (await stream[Symbol.asyncIterator]().next()).value as Buffer;
    stream.destroy();
    const pax = first.subarray(1536, 2048);
    assert.equal(pax.toString('latin1', 0, 14), '././@PaxHeader');
    assert.equal(first.toString('latin1', 2048, 2048 + 19), `19 size=${size}\n`);
    const ustar = first.subarray(2560, 3072);
    assert.equal(ustar.toString('latin1', 0, 23), '/nix/store/huge/sparse\0');
    assert.equal(ustar.toString('latin1', 124, 136), '00000000000\0');
    // Header blocks (2 dirs, the directory, pax + ustar of the file), content padded, end blocks, record padding.
    assert.equal(storeLayerPlan(['/nix/store/huge'], { ...ROOT_OWNER, root: tree.path }).size, Math.ceil((5 * 512 + Math.ceil(size / 512) * 512 + 1024) / 10240) * 10240);
  });
});
