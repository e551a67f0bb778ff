// End to end: basic layered images, their metadata, tags and compressors (acceptance A5-A10,
// A13, A20, A22, A28, A7), built by real Nix and loaded into the real Docker daemon.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { execa } from 'execa';
import { join } from 'node:path';
import { buildImages, Docker, evalJson, fixture, repoRoot, unpackStream } from './harness.ts';

const docker = new Docker();
let out: Record<string, string>;

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
    'bashLayeredUncompressed',
    'bashLayeredZstdCompressed',
  ]);
});
after(() => docker.cleanup());

describe('a basic layered image (A10)', () => {
  let image: string;
  before(async () => {
    image = await docker.load(out['layered-image']!);
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
    const other = await docker.load(out['another-layered-image']!);
    const mine = new Set(await docker.layers(image));
    const shared = (await docker.layers(other)).filter((layer) => mine.has(layer));
    assert.ok(shared.length >= 1, 'no layer digest in common');
    assert.equal(await docker.inspect(other, '{{json .Config.Cmd}}'), '["/bin/hello"]');
  });
});

describe('image metadata', () => {
  it('honours created = "now" (A9)', async () => {
    const image = await docker.load(out['unstableDateLayered']!, 'stream');
    const created = await docker.inspect(image, '{{.Created}}');
    assert.doesNotMatch(created, /1970-01-01T00:00:01Z/);
    assert.ok(Math.abs(Date.parse(created) - Date.now()) < 15 * 60 * 1000, `created ${created} is not recent`);
  });

  it('writes architecture = "arm64" (A28)', async () => {
    const image = await docker.load(out['layered-image-with-architecture']!);
    assert.equal(await docker.inspect(image, '{{.Architecture}}'), 'arm64');
    assert.equal(await docker.inspect(image, '{{.Os}}'), 'linux');
  });

  it('keeps a registry prefix in the repository name (A22)', async () => {
    const image = await docker.load(out['registry-prefixed']!);
    assert.equal(image, 'registry-1.docker.io/nix-strata-e2e-layered-image:latest');
    const { stdout } = await execa('docker', ['images', '--format', '{{.Repository}}', 'registry-1.docker.io/nix-strata-e2e-layered-image']);
    assert.equal(String(stdout).trim(), 'registry-1.docker.io/nix-strata-e2e-layered-image');
  });
});

describe('tags (A5)', () => {
  for (const [attr, kind] of [['bashNoTagLayered', 'archive'], ['bashNoTagStreamLayered', 'stream']] as const) {
    it(`${attr}: without a tag, Docker shows imageTag, a 32-character nix-base32 hash`, async () => {
      const imageTag = await evalJson(`${fixture(attr)}.imageTag`);
      assert.equal(typeof imageTag, 'string');
      assert.match(imageTag as string, /^[0123456789abcdfghijklmnpqrsvwxyz]{32}$/);
      const image = await docker.load(out[attr]!, kind);
      const imageName = await evalJson(`${fixture(attr)}.imageName`);
      assert.equal(image, `${String(imageName)}:${String(imageTag)}`);
      await docker.remove(`${String(imageName)}:${String(imageTag)}`);
    });
  }
});

describe('buildLayeredImageWithNixDb (A5, A32)', () => {
  it('loads under its imageTag and holds a Nix database of the closure of contents', async () => {
    const imageTag = await evalJson(`${fixture('nixLayered')}.imageTag`);
    const image = await docker.load(out['nixLayered']!);
    assert.equal(image, `nix-strata-e2e/nix-layered:${String(imageTag)}`);
    const [hello, helloScript] = await evalJson(`let s = (import ${repoRoot}/test/nix/host.nix { }).standIns; in [ s.hello.outPath "${'$'}{s.hello}/bin/hello" ]`) as [string, string];
    assert.equal((await docker.run(image, ['readlink', `/nix/var/nix/gcroots/docker/${hello.slice('/nix/store/'.length)}`])).trim(), hello);
    const archive = await unpackStream(out['nixLayered']!, 'archive');
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
    assert.match(out['layered-image']!, /-layered-image\.tar\.gz$/);
    assert.match(out['bashLayeredUncompressed']!, /-uncompressed\.tar$/);
    assert.match(out['bashLayeredZstdCompressed']!, /-zstd-compressed\.tar\.zst$/);
  });

  it('loads the uncompressed archive', async () => {
    const image = await docker.load(out['bashLayeredUncompressed']!);
    assert.equal((await docker.run(image, ['hello'])).trim(), 'Hello, world!');
  });

  it('loads the zstd archive through zstd -dc', async () => {
    const image = await docker.load(out['bashLayeredZstdCompressed']!, 'zstd');
    assert.equal((await docker.run(image, ['hello'])).trim(), 'Hello, world!');
  });
});
