// Cross builds: a package set whose host platform (aarch64-linux) is not the build platform.
// Every host-platform tool is a stand-in that cannot run here (a program that exits 1), and
// `buildPackages` holds the real host stand-ins, as nixpkgs' pkgsCross.* do; so an image builds
// only if every builder and build tool, nix-strata itself included, comes from buildPackages.
// `architecture` follows the host platform.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { execa } from 'execa';
import { buildExpression, Docker, evalJson, repoRoot } from './harness.ts';

const docker = new Docker();
after(() => docker.cleanup());

const cross = `(let
  h = import ${repoRoot}/test/nix/host.nix { };
  inherit (h.standIns) busybox;
  # The same programs as \`real\`, each failing: what an aarch64 binary does on this machine.
  unrunnable = real: h.pkgs.hostBuild "unrunnable-\${real.name}" ''
    mkdir -p "$out/bin"
    for f in \${real}/bin/*; do
      n=''\${f##*/}
      printf '#!%s\\necho "host-platform %s cannot run on the build platform" >&2\\nexit 1\\n' \${busybox}/bin/sh "$n" > "$out/bin/$n"
      chmod 0555 "$out/bin/$n"
    done
  '';
  tools = [ "bash" "coreutils" "findutils" "fakeroot" "proot" "pigz" "zstd" "xz" "bzip2" "jq" "nix" "sqlite"
    "gnused" "gnugrep" "gnutar" "gzip" "nodejs" ];
  hostPkgs = h.pkgs // builtins.listToAttrs (map (name: { inherit name; value = unrunnable h.pkgs.\${name}; }) tools) // {
    closureInfo = _: throw "the host platform's closureInfo was used";
    # The default builder: the host platform's one cannot run here either.
    callPackage = _: _: unrunnable h.nix-strata;
    stdenv = h.pkgs.stdenv // { hostPlatform = { system = "aarch64-linux"; isDarwin = false; }; };
    buildPackages = h.pkgs // { callPackage = _: _: h.nix-strata; };
  };
  n = import ${repoRoot}/nix { pkgs = hostPkgs; };
  layered = n.buildLayeredImage {
    name = "nix-strata-e2e/cross-layered";
    tag = "latest";
    contents = [ busybox (n.fakeNss.override { extraGroupLines = [ "cross:x:1000:" ]; }) ];
    extraCommands = "echo extra > extra";
    fakeRootCommands = "echo chrooted > /chrooted";
    enableFakechroot = true;
    includeNixDB = true;
  };
in {
  inherit layered;
  built = n.buildImage {
    name = "nix-strata-e2e/cross-built";
    tag = "latest";
    copyToRoot = [ busybox ];
    runAsRoot = "mkdir -p /etc && echo root > /etc/made";
    extraCommands = "echo extra > extra";
  };
  exported = n.exportImage { fromImage = layered; };
  pulled = n.pullImage { imageName = "127.0.0.1:5000/x"; imageDigest = "sha256:${'0'.repeat(64)}"; sha256 = "${'0'.repeat(52)}"; };
})`;

describe('cross-compiling (host platform aarch64-linux, tools from buildPackages)', () => {
  it('no derivation of any function depends on a host-platform tool', async () => {
    const drvs = await evalJson(`builtins.mapAttrs (_: d: d.drvPath) ${cross}`, ['--read-write-mode']) as Record<string, string>;
    const { stdout } = await execa('nix-store', ['--query', '--requisites', ...Object.values(drvs)]);
    const unrunnable = String(stdout).split('\n').filter((path) => path.includes('-unrunnable-'));
    assert.deepEqual(unrunnable, []);
  });

  it('buildLayeredImage (fake chroot, Nix database, fakeNss) and buildImage (runAsRoot) build, load as arm64 images, and hold what their commands made', async () => {
    const [layered, built] = (await buildExpression(`with ${cross}; [ layered built ]`)).split('\n') as [string, string];
    const layeredImage = await docker.load(layered);
    assert.equal(await docker.inspect(layeredImage, '{{.Architecture}}'), 'arm64');
    // The stand-in contents run here (only the tools were made unrunnable).
    assert.equal((await docker.run(layeredImage, ['cat', '/extra', '/chrooted'])).trim(), 'extra\nchrooted');
    assert.match(await docker.run(layeredImage, ['cat', '/etc/group']), /^cross:x:1000:$/m);
    assert.match(await docker.run(layeredImage, ['ls', '/nix/var/nix/db']), /db\.sqlite/);
    const builtImage = await docker.load(built);
    assert.equal(await docker.inspect(builtImage, '{{.Architecture}}'), 'arm64');
    assert.equal((await docker.run(builtImage, ['cat', '/etc/made', '/extra'])).trim(), 'root\nextra');
  });
});
