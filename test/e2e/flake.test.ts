// End to end through the real flake.nix, offline: its nixpkgs input is overridden with the
// host-wired stand-in (test/nix/host-nixpkgs), which builds nix/package.nix from the flake's
// own sources. Covers `nix build .#<image>` + docker load/run, `nix run .#<image>.stream |
// docker load` and `.#<image>-stream`, the apps' shape, and `nix flake check`.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { execa } from 'execa';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Docker, flakeBuild, flakeCheck, flakeOverride, repoRoot, seedNpmTarballs } from './harness.ts';
import { startLocalRegistry } from './local-registry.ts';
import { dockerPullRun } from './pushed-image.ts';

const docker = new Docker();
const system = `${process.arch === 'arm64' ? 'aarch64' : 'x86_64'}-linux`;
after(() => docker.cleanup());

describe('flake.nix with nixpkgs overridden by the host stand-in', () => {
  before(seedNpmTarballs);

  it('nix build .#hello gives an archive docker loads and runs', async () => {
    const [archive] = await flakeBuild(['.#hello']);
    assert.match(archive!, /-hello\.tar\.gz$/);
    const image = await docker.load(archive!);
    assert.equal(image, 'hello:latest');
    assert.equal((await docker.run(image)).trim(), 'Hello, world!');
  });

  it('nix run .#busybox-shell.stream | docker load works, with fakeNss and a non-root user', async () => {
    const image = await docker.loadFrom(['nix', 'run', ...flakeOverride, '.#busybox-shell.stream']);
    assert.equal(image, 'busybox-shell:latest');
    assert.equal((await docker.run(image, ['sh', '-c', 'id -un; pwd; stat -c %U /home/user'])).trim(), 'user\n/home/user\nuser');
  });

  it('apps: <image>, <image>-stream and <image>-push for every example, each only type, program and meta.description (what nix flake check >= 2.25 allows)', async () => {
    const { stdout } = await execa('nix', ['eval', '--json', ...flakeOverride, '--apply',
      'apps: builtins.mapAttrs (_: app: { attrs = builtins.attrNames app; inherit (app) type; description = app.meta.description or null; }) apps',
      `.#apps.${system}`], { cwd: repoRoot });
    const apps = JSON.parse(String(stdout)) as Record<string, { attrs: string[]; type: string; description: string | null }>;
    assert.ok('hello' in apps && 'hello-stream' in apps && 'busybox-shell-stream' in apps && 'hello-push' in apps, `apps: ${Object.keys(apps).join(', ')}`);
    for (const [name, app] of Object.entries(apps)) {
      assert.deepEqual(app.attrs, ['meta', 'program', 'type'], `apps.${system}.${name}`);
      assert.equal(app.type, 'app');
      assert.equal(typeof app.description, 'string', `apps.${system}.${name} has no meta.description`);
    }
  });

  it('nix run .#hello-stream | docker load and nix run .#hello | docker load work', async () => {
    for (const installable of ['.#hello-stream', '.#hello']) {
      const image = await docker.loadFrom(['nix', 'run', ...flakeOverride, installable]);
      assert.equal(image, 'hello:latest');
      assert.equal((await docker.run(image)).trim(), 'Hello, world!');
      await docker.remove(image);
    }
  });

  it('nix run .#hello.push -- DEST pushes to a local registry; docker pulls and runs it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'nix-strata-flake-push-'));
    const registry = await startLocalRegistry(dir);
    try {
      const destination = `${registry.address}/flake/hello:1`;
      const { stdout } = await execa('nix', ['run', ...flakeOverride, '.#hello.push', '--', '--tls-verify=false', destination], { cwd: repoRoot, env: { HOME: join(dir, 'home') }, stdin: 'ignore' });
      const digest = String(stdout).trim().split('\n').at(-1)!;
      assert.match(digest, /^sha256:[0-9a-f]{64}$/);
      assert.equal((await dockerPullRun(destination, digest)).trim(), 'Hello, world!');
    } finally {
      await registry.stop();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('the overlay gives one fakeNss: pkgs.fakeNss and pkgs.dockerTools.fakeNss are nix-strata\'s, not the package set\'s own', async () => {
    const { stdout } = await execa('nix', ['eval', '--json', ...flakeOverride, `.#checks.${system}.overlay-fake-nss.passwd`], { cwd: repoRoot });
    assert.equal(JSON.parse(String(stdout)), 'root:x:0:0:root user:/var/empty:/bin/sh\ncheck:x:1000:1000::/:/bin/sh\nnobody:x:65534:65534:nobody:/var/empty:/bin/sh\n');
  });

  it('nix flake check passes (examples, the builder package, the overlay)', async () => {
    await flakeCheck();
  });

  it('exposes lib.<system> with the layered functions and fakeNss', async () => {
    const { stdout } = await execa('nix', ['eval', '--json', ...flakeOverride, '--apply', 'builtins.attrNames', `.#lib.${system}`], { cwd: repoRoot });
    const names = JSON.parse(String(stdout)) as string[];
    for (const name of ['buildLayeredImage', 'buildLayeredImageWithNixDb', 'fakeNss', 'streamLayeredImage']) {
      assert.ok(names.includes(name), `lib lacks ${name}: ${names.join(', ')}`);
    }
  });
});
