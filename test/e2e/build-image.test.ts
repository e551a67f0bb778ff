// End to end: buildImage without a VM (issue 6), built by real Nix through test/nix/host.nix
// (fixtures in test/build-image/images.nix) and run by the real Docker daemon: on top of a
// layered image (acceptance A11) with Env concatenated, the tag derived from the archive's own
// output path, copyToRoot owned by uid/gid, and runAsRoot making a user, a chown'd directory
// and deletions that show as absent.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { basename, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { execa } from 'execa';
import { buildExpression, buildFailure, Docker, evalFailure, evalJson, repoRoot, sandboxed, unpackStream } from './harness.ts';

const fixtures = join(repoRoot, 'test/build-image/images.nix');
const names = ['layered-base', 'on-layered', 'on-layered-plain', 'standalone', 'run-as-root', 'environment-child', 'root-no-base'] as const;
// `reuse` keeps a static chown made as root, which only a root build without the sandbox is.
const asRoot = ['--option', 'sandbox', 'false', '--option', 'build-users-group', ''] as const;
const docker = new Docker();
let out: Record<(typeof names)[number] | 'reuse', string>;

before(async () => {
  const paths = (await buildExpression(`with import ${fixtures} { }; [ ${names.join(' ')} ]`)).split('\n');
  assert.equal(paths.length, names.length, paths.join('\n'));
  out = { ...Object.fromEntries(names.map((name, i) => [name, paths[i]!])), reuse: await buildExpression(`(import ${fixtures} { }).reuse`, asRoot) } as typeof out;
});
after(() => docker.cleanup());

describe('buildImage on top of a gzip\'d layered image (A11)', () => {
  let image: string;
  let base: string;
  before(async () => {
    base = await docker.load(out['layered-base']);
    image = await docker.load(out['on-layered']);
  });

  it('is named docker-image-<baseName>.tar.gz and runs', async () => {
    assert.match(basename(out['on-layered']), /^[0-9a-z]{32}-docker-image-bi-on-layered\.tar\.gz$/);
    assert.equal((await docker.run(image)).trim(), 'Hello, world!');
  });

  it('adds exactly one layer on top of the base layers, which keep their diff_ids', async () => {
    const baseLayers = await docker.layers(base);
    const layers = await docker.layers(image);
    assert.equal(layers.length, baseLayers.length + 1);
    assert.deepEqual(layers.slice(0, baseLayers.length), baseLayers);
  });

  it('concatenates Env: base ++ child, duplicates kept; WorkingDir applies', async () => {
    const config = await docker.config(image);
    assert.deepEqual(config.Env, ['PATH=/bin', 'FROM_BASE=yes', 'PATH=/bin:/usr/bin', 'FROM_BASE=child']);
    const output = await docker.run(image, ['sh', '-c', 'pwd; cat note; echo "$FROM_BASE"; app-a; cat /etc/motd']);
    assert.deepEqual(output.trim().split('\n'), ['/work', 'built on top', 'child', 'greetings from app-a', 'base']);
  });
});

describe('buildImage tag and uncompressed base', () => {
  it('derives the tag from the archive\'s output path, and it is the tag inside the image', async () => {
    const imageTag = await evalJson(`(import ${fixtures} { }).on-layered-plain.imageTag`);
    assert.equal(imageTag, basename(out['on-layered-plain']).slice(0, 32));
    const image = await docker.load(out['on-layered-plain']);
    assert.equal(image, `nix-strata-e2e/bi-on-layered-plain:${imageTag}`);
    assert.equal((await docker.run(image)).trim(), 'greetings from app-b');
  });
});

describe('buildImage without a base', () => {
  it('copies copyToRoot owned by uid:gid and writes the archive uncompressed with compressor none', async () => {
    assert.match(basename(out.standalone), /-docker-image-bi-standalone\.tar$/);
    const image = await docker.load(out.standalone);
    assert.equal(image, 'nix-strata-e2e/bi-standalone:v1');
    assert.equal((await docker.run(image)).trim(), 'Hello, world!');
    const owners = await docker.run(image, ['stat', '-c', '%u:%g %F', '/bin', '/bin/busybox']);
    assert.deepEqual(owners.trim().split('\n'), ['1234:5678 directory', '1234:5678 regular file']);
  });
});

describe('buildImage with runAsRoot (no VM)', () => {
  let image: string;
  before(async () => {
    image = await docker.load(out['run-as-root']);
  });

  it('keeps the user it added and the directory it chown\'d', async () => {
    const output = await docker.run(image, ['stat', '-c', '%u %g %a %U', '/home/alice']);
    assert.equal(output.trim(), '1000 1000 700 alice');
    const passwd = await docker.run(image, ['cat', '/etc/passwd']);
    assert.match(passwd, /^root:x:0:0:/m);
    assert.match(passwd, /^alice:x:1000:1000:/m);
    assert.equal((await docker.run(image, ['stat', '-c', '%a', '/etc/shadow'])).trim(), '640');
  });

  it('shows what it deleted from the base as absent (whiteouts), and what it changed', async () => {
    const check = 'for p in /etc/doomed /var/lib/gone /var/lib/gone/file; do [ -e "$p" ] && echo "present $p"; done; cat /etc/motd; ls /var/lib | wc -l';
    assert.deepEqual((await docker.run(image, ['sh', '-c', check])).trim().split('\n'), ['changed', '0']);
  });

  it('still has the base, the new contents, and the file extraCommands wrote', async () => {
    const output = await docker.run(image, ['sh', '-c', 'hello; app-a; cat /extra-file']);
    assert.deepEqual(output.trim().split('\n'), ['Hello, world!', 'greetings from app-a', 'extra']);
  });

  it('adds one layer holding only the changes', async () => {
    const files = await docker.files(image);
    assert.ok(files.includes('home/alice/'), files.join('\n'));
    assert.ok(!files.some((f) => f.includes('.wh.')), 'whiteouts are applied, not visible');
  });
});

describe('a buildLayeredImage child on a buildImage parent (A14)', () => {
  it('inherits and merges Env: one entry per variable, the child\'s value last', async () => {
    const image = await docker.load(out['environment-child']);
    const env = (await docker.run(image)).trim().split('\n');
    for (const entry of ['FROM_PARENT=true', 'FROM_CHILD=true', 'LAST_LAYER=child']) assert.ok(env.includes(entry), env.join('\n'));
    assert.deepEqual((await docker.config(image)).Env, ['FROM_PARENT=true', 'LAST_LAYER=child', 'FROM_CHILD=true']);
  });
});

describe('buildImage with runAsRoot and no base', () => {
  let image: string;
  before(async () => {
    image = await docker.load(out['root-no-base']);
  });

  it('records runAsRoot\'s chown and symlink over the copied contents', async () => {
    const output = await docker.run(image, ['sh', '-c', 'hello; stat -c %u:%g /data; /usr-hello']);
    assert.deepEqual(output.trim().split('\n'), ['Hello, world!', '4242:4343', 'Hello, world!']);
  });

  it('keeps what the image itself puts under /dev and /sys (the fake chroot\'s bind points)', async () => {
    const unpacked = await unpackStream(out['root-no-base'], 'archive');
    try {
      const { stdout } = await execa('tar', ['-tf', unpacked.layers.at(-1)!]);
      const names = String(stdout).split('\n');
      for (const name of ['./dev/marker', './sys/marker']) assert.ok(names.includes(name), `${name} in:\n${stdout}`);
    } finally {
      await unpacked.remove();
    }
  });

  it('includes the Nix database of copyToRoot (includeNixDB) and a current creation date (created = "now")', async () => {
    const roots = await docker.run(image, ['ls', '/nix/var/nix/gcroots/docker']);
    assert.deepEqual(roots.trim().split('\n').map((name) => name.slice(33)).sort(), ['busybox', 'hello']);
    const created = Date.parse(await docker.inspect(image, '{{.Created}}'));
    // The build time (the store path may be reused later, so only "not the 1970 default").
    assert.ok(created > Date.parse('2020-01-01T00:00:00Z') && created <= Date.now(), `created ${created} is the build time`);
  });
});

// Issue 14 #2: fakeroot keys its records by inode, and a static `rm` is unseen by it, so new
// files reusing the inode numbers inherited the deleted files' owners and modes.
describe('buildImage runAsRoot after a static program deleted recorded files', () => {
  let image: string;
  before(async () => {
    image = await docker.load(out.reuse);
  });

  it('records the new files as runAsRoot made them, not as the deleted ones were', async () => {
    const output = await docker.run(image, ['sh', '-c', 'stat -c "%n %u:%g %a" /data/*; ls /data | wc -l']);
    const expected = [1, 2, 3, 4, 5, 6, 7, 8].map((i) => `/data/public${i} 0:0 644`);
    assert.deepEqual(output.trim().split('\n'), [...expected, '8']);
  });

  it('keeps a static program\'s chmod and (as root) chown of a file fakeroot has a record for', async () => {
    assert.equal((await docker.run(image, ['stat', '-c', '%u:%g %a', '/srv/kept'])).trim(), '3000:3000 640');
  });

  it('makes a directory where a recorded file was, and fills it', async () => {
    assert.equal((await docker.run(image, ['sh', '-c', 'stat -c "%F %u:%g" /opt/f; cat /opt/f/y'])).trim(), 'directory 0:0\ny');
  });
});

// Issue 13: users build as a build user (nix-daemon, the sandbox), never as root. Nix 2.8 run
// as root builds as one of the nixbld users when asked to, and with the sandbox on as uid 1000
// in a user namespace; a fresh salt per run keeps a build made as root from being reused.
for (const [where, options] of [
  ['as a build user', ['--option', 'build-users-group', 'nixbld']],
  ['as a build user in the sandbox', ['--option', 'build-users-group', 'nixbld', ...sandboxed]],
] as const) {
  describe(`buildImage runAsRoot ${where}`, () => {
    const fixture = `((import ${fixtures} { }).asBuildUser ${JSON.stringify(randomUUID())})`;
    let image: string;
    before(async () => {
      image = await docker.load(await buildExpression(`${fixture}.dynamic`, options));
    });

    it('really ran as a build user', async () => {
      assert.notEqual((await docker.run(image, ['cat', '/built-by-uid'])).trim(), '0');
    });

    it('records what runAsRoot made as root\'s, and keeps chown and chmod by dynamically linked programs', async () => {
      const output = await docker.run(image, ['stat', '-c', '%n %u:%g %a', '/made', '/made/file', '/made/sub', '/data/keep1', '/data/keep3']);
      assert.deepEqual(output.trim().split('\n'), ['/made 0:0 755', '/made/file 0:0 4755', '/made/sub 4242:4343 750', '/data/keep1 0:0 644', '/data/keep3 1000:1000 600']);
      // A static chmod behind the base's record is kept too (the real mode is what was asked).
      assert.equal((await docker.run(image, ['stat', '-c', '%u:%g %a', '/srv/kept'])).trim(), '1000:1000 640');
    });

    it('shows a static program\'s deletion of a base file as absent', async () => {
      assert.equal((await docker.run(image, ['sh', '-c', 'ls /data | wc -l; [ -e /data/keep2 ] || echo gone'])).trim(), '7\ngone');
    });

    it('fails the build, saying why, when a statically linked program chowns (fakeroot cannot record it)', async () => {
      const failure = await buildFailure(`${fixture}.static-chown`, options);
      // EPERM, or EINVAL in the sandbox's user namespace (the ids are not mapped there).
      assert.match(failure.stderr, /chown: \/data: (Operation not permitted|Invalid argument)/);
      assert.match(failure.stderr, /runAsRoot failed \(exit 1\) as build user uid [1-9]\d*, not root; if a chown, chgrp or mknod failed: statically linked programs \(e\.g\. busybox\) cannot do those there, as fakeroot cannot see them, so use dynamically linked ones/);
    });
  });
}

describe('buildImage argument checks at evaluation', () => {
  const host = join(repoRoot, 'test/nix/host.nix');
  it('rejects contents together with copyToRoot, and an unknown compressor, with nixpkgs\' wording', async () => {
    const both = await evalFailure(`(import ${host} { }).buildImage { name = "x"; contents = [ ]; copyToRoot = [ ]; }`);
    assert.match(both.stderr, /in docker image x: You can not specify both contents and copyToRoot\./);
    const compressor = await evalFailure(`(import ${host} { }).buildImage { name = "x"; compressor = "bz2"; }`);
    assert.match(compressor.stderr, /in docker image x: compressor must be one of: \[gz none zstd\]/);
  });

  it('accepts and ignores the VM sizes, and names the archive after the compressor', async () => {
    const names = await evalJson(`let h = import ${host} { }; in map (c: (h.buildImage { name = "reg.example/team/App"; compressor = c; diskSize = 4096; buildVMMemorySize = 2048; }).name) [ "gz" "zstd" "none" ]`);
    assert.deepEqual(names, ['docker-image-App.tar.gz', 'docker-image-App.tar.zst', 'docker-image-App.tar']);
    assert.equal(await evalJson(`((import ${host} { }).buildImage { name = "reg.example/team/App"; }).imageName`), 'reg.example/team/app');
  });
});
