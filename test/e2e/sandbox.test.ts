// Builds in the sandbox, as users run Nix (sandbox on by default on Linux): the build dir is
// /build, host paths are hidden, and on Nix < 2.15 $NIX_ATTRS_SH_FILE / $NIX_ATTRS_JSON_FILE
// name the host-side build dir. A nonce in each image makes every derivation of it build here,
// in the sandbox, instead of being found in the store from an unsandboxed run.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { execa } from 'execa';
import { buildExpression, Docker, repoRoot, sandboxed, unpackStream } from './harness.ts';

const docker = new Docker();
after(() => docker.cleanup());

const host = `(import ${repoRoot}/test/nix/host.nix { })`;

describe('with the sandbox on', () => {
  // The host stand-ins (test/nix/host-pkgs.nix, the builder wrapper) are test scaffolding,
  // built as this machine's nix.conf says; what must build in the sandbox is what nix/ makes.
  before(() => buildExpression(`with ${host}; [ nix-strata standIns.busybox standIns.hello ]
    ++ builtins.filter (p: p.type or null == "derivation") (builtins.attrValues pkgs)`));

  it('derivations with commands find .attrs.sh and .attrs.json in the build dir (streamLayeredImage with a Nix database, fakeNss, buildImage)', async () => {
    const nonce = randomUUID();
    const [stream, archive] = (await buildExpression(`with ${host}; [
      (streamLayeredImage {
        name = "nix-strata-e2e/sandbox-attrs";
        tag = "latest";
        contents = [ standIns.busybox standIns.hello (fakeNss.override { extraPasswdLines = [ "n${nonce.slice(0, 8)}:x:1000:1000::/:/bin/sh" ]; }) ];
        extraCommands = "echo ${nonce} > marker";
        includeNixDB = true;
      })
      (buildImage {
        name = "nix-strata-e2e/sandbox-attrs-build-image";
        tag = "latest";
        copyToRoot = [ standIns.busybox ];
        extraCommands = "echo ${nonce} > marker";
      })
    ]`, sandboxed)).split('\n') as [string, string];

    const streamed = await docker.load(stream, 'stream');
    assert.equal((await docker.run(streamed, ['cat', '/marker'])).trim(), nonce);
    assert.match(await docker.run(streamed, ['cat', '/etc/passwd']), new RegExp(`^n${nonce.slice(0, 8)}:x:1000:`, 'm'));
    assert.match(await docker.run(streamed, ['ls', '/nix/var/nix/gcroots/docker']), /-hello$/m);
    const built = await docker.load(archive);
    assert.equal((await docker.run(built, ['cat', '/marker'])).trim(), nonce);
  });

  it('enableFakechroot keeps the image\'s own /build (the sandbox\'s build dir is not bound over it) and /dev (not deleted after the bind)', async () => {
    const nonce = randomUUID();
    const stream = await buildExpression(`with ${host}; streamLayeredImage {
      name = "nix-strata-e2e/sandbox-fakechroot-build";
      tag = "latest";
      contents = [ standIns.busybox ];
      enableFakechroot = true;
      extraCommands = "mkdir build dev && echo ${nonce} > build/keep && echo own > dev/own";
      fakeRootCommands = "cat /build/keep > /build/seen && mkdir /build/made";
    }`, sandboxed);
    const image = await docker.load(stream, 'stream');
    assert.equal((await docker.run(image, ['cat', '/build/keep', '/build/seen'])).trim(), `${nonce}\n${nonce}`);
    assert.equal((await docker.run(image, ['ls', '/build'])).trim().split('\n').join(' '), 'keep made seen');
    // The layer's own /dev stays; the bind mount points it lacked never reach it (it is the last layer).
    const unpacked = await unpackStream(stream);
    try {
      const { stdout } = await execa('tar', ['-tf', unpacked.layers.at(-1)!]);
      const entries = String(stdout).split('\n').map((e) => e.replace(/^\.\//, ''));
      assert.ok(entries.includes('build/made/'), entries.join(' '));
      assert.deepEqual(entries.filter((e) => /^(dev|proc|sys|nix)(\/|$)/.test(e)), ['dev/', 'dev/own']);
    } finally {
      await unpacked.remove();
    }
  });
});
