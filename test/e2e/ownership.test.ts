// End to end: what the store layers contain and who owns what (acceptance A2-A4, A21,
// A23, A24, A26, A29-A31): fakeroot, the fake chroot, uid/gid/uname/gname, includeStorePaths.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { execa } from 'execa';
import { buildFailure, buildImages, Docker, dockerStoreDir, evalJson, fixture, unpackStream } from './harness.ts';
import type { BuiltImage } from './harness.ts';

const docker = new Docker();
let out: Record<string, BuiltImage>;

before(async () => {
  out = await buildImages([
    'no-store-paths',
    'no-store-paths-fakechroot',
    'layeredImageWithFakeRootCommands',
    'imageViaFakeChroot',
    'chownTestImage',
    'nonRootTestImage',
    'layeredStoreSymlink',
    'staticChmodAfterRecord',
  ]);
});
after(() => docker.cleanup());

for (const attr of ['no-store-paths', 'no-store-paths-fakechroot']) {
  describe(`includeStorePaths = false (${attr})`, () => {
    let image: string;
    before(async () => {
      image = await docker.load(out[attr]!.path, 'stream');
    });

    it('has only the customisation layer', async () => {
      assert.equal((await docker.layers(image)).length, 1);
    });

    it('puts no nix/store entry at all in the image (A3)', async () => {
      const files = await docker.files(image);
      assert.ok(files.some((f) => f === 'bin/hello'), `bin/hello missing from:\n${files.slice(0, 40).join('\n')}`);
      assert.deepEqual(files.filter((f) => f.includes('nix/store')), []);
    });

    it('cannot run its program on its own: the symlinks dangle (A2)', async () => {
      const { exitCode } = await docker.runFailing(image);
      assert.notEqual(exitCode, 0);
    });

    it('runs with the host store mounted (A4)', async () => {
      assert.equal((await docker.run(image, [], ['--volume', `${dockerStoreDir}:/nix/store:ro`])).trim(), 'Hello, world!');
    });
  });
}

describe('fakeRootCommands (A23, A24)', () => {
  let image: string;
  before(async () => {
    image = await docker.load(out['layeredImageWithFakeRootCommands']!.path);
  });

  it('records a chown made under fakeroot', async () => {
    assert.equal((await docker.run(image, ['stat', '-c', '%u', '/home/alice'])).trim(), '1000');
  });

  it('pulls in a store path only its output mentions', async () => {
    assert.equal((await docker.run(image, ['/hello/bin/layeredImageWithFakeRootCommands-hello'])).trim(), 'Hello from fakeRootCommands');
  });
});

describe('enableFakechroot', () => {
  it('makes `/` the layer for fakeRootCommands (A26)', async () => {
    const image = await docker.load(out['imageViaFakeChroot']!.path, 'stream');
    assert.equal((await docker.run(image)).trim(), 'Hello, world!');
  });

  it('lets chrooted commands populate /etc and keeps their chown (A29, A30)', async () => {
    const image = await docker.load(out['chownTestImage']!.path, 'stream');
    assert.equal((await docker.run(image)).trim(), '12345:12345');
    assert.equal((await docker.run(image, ['cat', '/etc/some-config-file'])).trim(), 'localhost');
  });

  it('keeps the bound /dev, /proc, /sys and store out of the layer', async () => {
    const image = await docker.load(out['chownTestImage']!.path, 'stream');
    const files = await docker.files(image);
    assert.deepEqual(files.filter((f) => /^(proc|sys)\/./.test(f)), []);
    const archive = await unpackStream(out['chownTestImage']!.path);
    try {
      const { stdout } = await execa('tar', ['-tf', archive.layers.at(-1)!]);
      const entries = String(stdout).split('\n');
      assert.ok(entries.includes('./testfile'), entries.join('\n'));
      assert.deepEqual(entries.filter((f) => /^\.\/(dev|proc|sys|tmp|nix)\//.test(f)), []);
    } finally {
      await archive.remove();
    }
  });
});

describe('uid/gid/uname/gname (A31)', () => {
  it('own every store path, /nix and /nix/store included', async () => {
    const image = await docker.load(out['nonRootTestImage']!.path, 'stream');
    assert.equal((await docker.run(image)).trim(), '1000:1000');
    assert.equal((await docker.run(image, ['stat', '-c', '%u:%g %U:%G', '/nix', '/nix/store'])).trim(), '1000:1000 user:user\n1000:1000 user:user');
    assert.equal((await docker.run(image, ['id', '-u'])).trim(), '1000');
  });

  it('are written as names in every store-layer tar header', async () => {
    const archive = await unpackStream(out['nonRootTestImage']!.path);
    try {
      const storeLayers = archive.layers.slice(0, -1);
      assert.ok(storeLayers.length >= 1);
      for (const layer of storeLayers) {
        const { stdout } = await execa('tar', ['--numeric-owner', '-tvf', layer]);
        const numeric = String(stdout).split('\n').filter((l) => l !== '');
        assert.deepEqual(numeric.filter((l) => !/^\S+ 1000\/1000 /.test(l)), [], layer);
        const { stdout: named } = await execa('tar', ['-tvf', layer]);
        assert.deepEqual(String(named).split('\n').filter((l) => l !== '' && !/^\S+ user\/user /.test(l)), [], layer);
        assert.ok(numeric.some((l) => / \/nix\/store\/$/.test(l)), `${layer} has no /nix/store/ entry`);
      }
    } finally {
      await archive.remove();
    }
  });
});

describe('a store path that is a symlink (A21)', () => {
  it('stays a symlink in the image', async () => {
    const image = await docker.load(out['layeredStoreSymlink']!.path);
    const symlink = await evalJson(`${fixture('layeredStoreSymlink')}.stream.storeSymlink.outPath`);
    await docker.run(image, ['test', '-L', String(symlink)]);
    assert.equal((await docker.run(image, ['cat', '/dir/target'])).trim(), 'Content does not matter.');
  });
});

describe('fakeRootCommands: a device, with a statically linked stat on PATH', () => {
  it('fails in one line instead of writing the device as 0, 0', async () => {
    const failure = await buildFailure(fixture('deviceWithStaticStat'));
    assert.match(failure.stderr, /nix-strata: the stat on PATH sees \/dev\/null as a regular empty file, not the device fakeroot made \(a statically linked stat cannot see fakeroot\); put a dynamically linked coreutils on the build's PATH/);
  });
});

describe('fakeRootCommands: a static program behind fakeroot\'s record', () => {
  it('keeps a static chmod of a file a dynamic chown and chmod recorded', async () => {
    const image = await docker.load(out.staticChmodAfterRecord!.path, 'stream');
    assert.equal((await docker.run(image, ['stat', '-c', '%u:%g %a', '/kept'])).trim(), '1000:1000 640');
  });
});
