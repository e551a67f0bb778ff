// What nix/ builds depends on nothing outside the store. The host stand-ins reach host
// programs through /usr; here they find them under /host-bin instead (test/nix/host.nix's
// hostBin/hostLib), and the sandbox shows only /host-bin, the libraries and /usr/share, no
// /usr/bin, no /bin:
// a derivation of nix/ that ran a host program itself, or read any host path, fails to build.
// A nonce makes every derivation build here instead of coming from the store.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, describe, it } from 'node:test';
import { buildExpression, Docker, repoRoot } from './harness.ts';

const docker = new Docker();
after(() => docker.cleanup());

const storeOnly = ['--option', 'sandbox', 'true', '--option', 'sandbox-fallback', 'false',
  // /usr/share only for data: trixie's node reads its own JavaScript from there at start.
  '--option', 'sandbox-paths', '/host-bin=/usr/bin /lib=/usr/lib /lib64=/usr/lib64 /usr/share'] as const;
const host = `(import ${repoRoot}/test/nix/host.nix { hostBin = "/host-bin"; hostLib = "/lib"; })`;

describe('nix/ builds with nothing but the store (host programs moved out of /usr)', () => {
  it('buildLayeredImage with commands, fakeroot, a Nix database and zstd; a fake chroot; buildImage', async () => {
    const nonce = randomUUID();
    const [layered, chrooted, built] = (await buildExpression(`with ${host}; [
      (buildLayeredImage {
        name = "nix-strata-e2e/store-only";
        tag = "latest";
        contents = [ standIns.busybox standIns.hello fakeNss ];
        extraCommands = "mkdir -p tmp && echo ${nonce} > marker";
        fakeRootCommands = "chmod 0700 tmp";
        includeNixDB = true;
        compressor = "zstd";
      })
      (buildLayeredImage {
        name = "nix-strata-e2e/store-only-chroot";
        tag = "latest";
        contents = [ standIns.busybox ];
        enableFakechroot = true;
        fakeRootCommands = "mkdir -p /etc && echo ${nonce} > /etc/marker";
      })
      (buildImage {
        name = "nix-strata-e2e/store-only-build-image";
        tag = "latest";
        copyToRoot = [ standIns.busybox ];
        extraCommands = "echo ${nonce} > marker";
      })
    ]`, storeOnly)).split('\n') as [string, string, string];

    const first = await docker.load(layered, 'zstd');
    assert.equal((await docker.run(first, ['cat', '/marker'])).trim(), nonce);
    assert.equal((await docker.run(first, ['stat', '-c', '%a', '/tmp'])).trim(), '700');
    assert.match(await docker.run(first, ['ls', '/nix/var/nix/gcroots/docker']), /-hello$/m);
    assert.equal((await docker.run(await docker.load(chrooted), ['cat', '/etc/marker'])).trim(), nonce);
    assert.equal((await docker.run(await docker.load(built), ['cat', '/marker'])).trim(), nonce);
  });
});
