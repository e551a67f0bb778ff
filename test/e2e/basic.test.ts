// End to end: basic layered images, their metadata, tags and compressors (acceptance A5-A10,
// A13, A20, A22, A28, A7), built by real Nix and loaded into the real Docker daemon.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { execa } from 'execa';
import { join } from 'node:path';
import { buildImages, Docker, evalJson, repoRoot, unpackStream } from './harness.ts';
import type { BuiltImage } from './harness.ts';

const docker = new Docker();
let out: Record<string, BuiltImage>;

before(async () => {
  out = await buildImages([
    'layered-image',
    'another-layered-image',
    'unstableDateLayered',
    'layered-image-with-architecture',
    'registry-prefixed',
    'bashNoTagLayered',
    'bashNoTagStreamLayered',
    'nixLayered',
    'layered-image-with-path',
    'only-minimal-paths',
    'bashLayeredUncompressed',
    'bashLayeredZstdCompressed',
  ]);
});
after(() => docker.cleanup());

describe('a basic layered image (A10)', () => {
  let image: string;
  before(async () => {
    image = await docker.load(out['layered-image']!.path);
  });

  it('is named <name>:<tag> and runs its Cmd through the contents symlinks', async () => {
    assert.equal(image, 'nix-strata-e2e/layered-image:latest');
    assert.equal((await docker.run(image)).trim(), 'Hello, world!');
  });

  it('has the file extraCommands wrote at the root', async () => {
    assert.equal((await docker.run(image, ['cat', '/extraCommands'])).trim(), 'extraCommands was here');
  });

  it('stores a plain-file store path as that file (A20)', async () => {
    assert.equal((await docker.run(image, ['cat-somefile'])).trim(), 'some data');
  });

  it('keeps /nix and /nix/store at mode 755 for a non-root user (A7)', async () => {
    assert.deepEqual((await docker.run(image, ['stat', '-c', '%a', '/nix', '/nix/store'], ['-u', '999'])).trim().split('\n'), ['755', '755']);
  });

  it('has the default creation date 1970-01-01T00:00:01Z (A9 contrast)', async () => {
    assert.equal(await docker.inspect(image, '{{.Created}}'), '1970-01-01T00:00:01Z');
  });

  it('shares its store layers with an image of the same paths and another Cmd (A13)', async () => {
    const other = await docker.load(out['another-layered-image']!.path);
    const mine = new Set(await docker.layers(image));
    const shared = (await docker.layers(other)).filter((layer) => mine.has(layer));
    assert.ok(shared.length >= 1, 'no layer digest in common');
    assert.equal(await docker.inspect(other, '{{json .Config.Cmd}}'), '["/bin/hello"]');
  });
});

describe('contents and the store', () => {
  it('accepts a local directory as a contents element (A27)', async () => {
    const image = await docker.load(out['layered-image-with-path']!.path);
    assert.equal((await docker.run(image, ['cat', '/hello.txt'])).trim(), 'Hello from a local directory');
  });

  it('keeps relative symlinks inside store paths relative (A8)', async () => {
    const busybox = await evalJson(`(import ${repoRoot}/test/nix/host.nix { }).standIns.busybox.outPath`);
    const image = await docker.load(out['layered-image-with-path']!.path);
    assert.equal((await docker.run(image, ['readlink', `${String(busybox)}/bin/sh`])).trim(), 'busybox');
  });

  it('stores only what the layer mentions, not tools run at build time (A19)', async () => {
    const image = await docker.load(out['only-minimal-paths']!.path);
    assert.match(await docker.run(image, ['ls', '/']), /^bin$/m);
    const files = await docker.files(image);
    assert.deepEqual(files.filter((f) => f.includes('nix/store') || f.includes('hello')), []);
    assert.equal((await docker.layers(image)).length, 1);
  });
});

describe('image metadata', () => {
  it('honours created = "now" (A9)', async () => {
    const image = await docker.load(out['unstableDateLayered']!.path, 'stream');
    const created = await docker.inspect(image, '{{.Created}}');
    assert.doesNotMatch(created, /1970-01-01T00:00:01Z/);
    // The build time; the store path may come from an earlier build, so only bounds, no interval.
    const time = Date.parse(created);
    assert.ok(time > Date.parse('2020-01-01T00:00:00Z') && time <= Date.now(), `created ${created} is not a build time`);
  });

  it('writes architecture = "arm64" (A28)', async () => {
    const image = await docker.load(out['layered-image-with-architecture']!.path);
    assert.equal(await docker.inspect(image, '{{.Architecture}}'), 'arm64');
    assert.equal(await docker.inspect(image, '{{.Os}}'), 'linux');
  });

  it('keeps a registry prefix in the repository name (A22)', async () => {
    const image = await docker.load(out['registry-prefixed']!.path);
    assert.equal(image, 'registry-1.docker.io/nix-strata-e2e-layered-image:latest');
    const { stdout } = await execa('docker', ['images', '--format', '{{.Repository}}', 'registry-1.docker.io/nix-strata-e2e-layered-image']);
    assert.equal(String(stdout).trim(), 'registry-1.docker.io/nix-strata-e2e-layered-image');
  });
});

describe('tags (A5)', () => {
  for (const [attr, kind] of [['bashNoTagLayered', 'archive'], ['bashNoTagStreamLayered', 'stream']] as const) {
    it(`${attr}: without a tag, Docker shows imageTag, a 32-character nix-base32 hash`, async () => {
      const { imageName, imageTag, path } = out[attr]!;
      assert.match(imageTag, /^[0123456789abcdfghijklmnpqrsvwxyz]{32}$/);
      assert.equal(imageName, `nix-strata-e2e/${attr === 'bashNoTagLayered' ? 'no-tag-layered' : 'no-tag-stream-layered'}`);
      const image = await docker.load(path, kind);
      assert.equal(image, `${imageName}:${imageTag}`);
      await docker.remove(`${imageName}:${imageTag}`);
    });
  }
});

describe('buildLayeredImageWithNixDb (A5, A32)', () => {
  it('loads under its imageTag and holds a Nix database of the closure of contents', async () => {
    const image = await docker.load(out['nixLayered']!.path);
    assert.equal(image, `nix-strata-e2e/nix-layered:${out['nixLayered']!.imageTag}`);
    const [hello, helloScript] = await evalJson(`let s = (import ${repoRoot}/test/nix/host.nix { }).standIns; in [ s.hello.outPath "${'$'}{s.hello}/bin/hello" ]`) as [string, string];
    assert.equal((await docker.run(image, ['readlink', `/nix/var/nix/gcroots/docker/${hello.slice('/nix/store/'.length)}`])).trim(), hello);
    const archive = await unpackStream(out['nixLayered']!.path, 'archive');
    try {
      const root = join(archive.dir, 'root');
      await execa('mkdir', [root]);
      await execa('tar', ['-xf', archive.layers.at(-1)!, '-C', root]);
      const { stdout: references } = await execa('nix-store', ['--store', `local?root=${root}`, '--query', '--references', hello]);
      assert.equal(String(references).trim(), (await execa('readlink', [helloScript])).stdout.trim());
      const { stdout: times } = await execa('sqlite3', [join(root, 'nix/var/nix/db/db.sqlite'), 'SELECT DISTINCT registrationTime FROM ValidPaths']);
      assert.equal(String(times).trim(), '315532800');
    } finally {
      await archive.remove();
    }
  });
});

describe('compressors (A6)', () => {
  it('names archives by compressor', () => {
    assert.match(out['layered-image']!.path, /-layered-image\.tar\.gz$/);
    assert.match(out['bashLayeredUncompressed']!.path, /-uncompressed\.tar$/);
    assert.match(out['bashLayeredZstdCompressed']!.path, /-zstd-compressed\.tar\.zst$/);
  });

  it('loads the uncompressed archive', async () => {
    const image = await docker.load(out['bashLayeredUncompressed']!.path);
    assert.equal((await docker.run(image, ['hello'])).trim(), 'Hello, world!');
  });

  it('loads the zstd archive through zstd -dc', async () => {
    const image = await docker.load(out['bashLayeredZstdCompressed']!.path, 'zstd');
    assert.equal((await docker.run(image, ['hello'])).trim(), 'Hello, world!');
  });
});
