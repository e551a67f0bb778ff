// nixpkgs parity beyond mergeImages and the nix-shell images: `variant` on every builder,
// lib.makeOverridable semantics on every builder, buildImage's passthru `buildArgs` and `layer`,
// and the environment helpers binSh, usrBinEnv and caCertificates with the links nixpkgs
// documents. Real Nix with the sandbox on, real Docker.
import assert from 'node:assert/strict';
import { readFile, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { execa } from 'execa';
import { Docker, buildExpression, evalFailure, evalJson, repoRoot, sandboxed } from './harness.ts';

const parity = `(import ${repoRoot}/test/e2e/parity.nix { })`;
const docker = new Docker();
after(() => docker.cleanup());

/** Builds fixtures of test/e2e/parity.nix in the sandbox; their store paths in order. */
async function build(...attributes: string[]): Promise<string[]> {
  return (await buildExpression(`with ${parity}; [ ${attributes.join(' ')} ]`, sandboxed)).split('\n');
}

describe('variant', () => {
  it('is written into the image config by buildLayeredImage and buildImage, and Docker reads it', async () => {
    const [layered, image, plain] = await build('variant-layered', 'variant-image', 'merge-gz');
    const inspect = async (path: string) => docker.inspect(await docker.load(path), '{{.Architecture}}/{{.Variant}}');
    assert.equal(await inspect(layered!), 'arm64/v8');
    assert.equal(await inspect(image!), 'arm/v7');
    // null (the default) writes no variant at all, as nixpkgs.
    const goArch = ({ x64: 'amd64', arm64: 'arm64' } as Record<string, string>)[process.arch] ?? process.arch;
    assert.equal(await inspect(plain!), `${goArch}/`);
  });

  it('is checked at evaluation on every builder, in one line naming the image', async () => {
    for (const fn of ['streamLayeredImage', 'buildLayeredImage', 'buildImage']) {
      const failure = await evalFailure(`(${parity}.nixStrata.${fn} { name = "bad-variant"; variant = "arm/v7"; }).drvPath`);
      assert.match(failure.stderr, /in docker image bad-variant: the variant argument must be null or a CPU variant such as "v8" \(arm64\) or "v7" \(arm\)/, fn);
    }
  });
});

describe('.override (lib.makeOverridable)', () => {
  it('rebuilds every builder with the new arguments, taking a set or a function of the old ones', async () => {
    const result = await evalJson(`with ${parity}; let
        first = nixStrata.streamLayeredImage { name = "o"; tag = "one"; contents = [ host.standIns.hello ]; };
      in {
        stream = overridden-stream.imageTag;
        image = overridden-image.imageTag;
        chained = ((first.override { tag = "two"; }).override (old: { tag = old.tag + "-three"; })).imageTag;
      }`);
    assert.deepEqual(result, { stream: 'two', image: 'one-two', chained: 'two-three' });
    const equal = await evalJson(`with ${parity}; let
        n = nixStrata;
        s = host.standIns;
        same = a: b: a.drvPath == b.drvPath;
      in [
        (same ((n.buildLayeredImage { name = "o"; contents = [ s.hello ]; }).override { compressor = "zstd"; }) (n.buildLayeredImage { name = "o"; contents = [ s.hello ]; compressor = "zstd"; }))
        (same ((n.buildImage { name = "o"; copyToRoot = [ s.hello ]; }).override { tag = "t"; }) (n.buildImage { name = "o"; copyToRoot = [ s.hello ]; tag = "t"; }))
        (same ((n.buildImageWithNixDb { name = "o"; copyToRoot = [ s.hello ]; }).override { tag = "t"; }) (n.buildImage { name = "o"; copyToRoot = [ s.hello ]; tag = "t"; includeNixDB = true; }))
        (same ((n.buildNixShellImage { drv = s.shellDrv; }).override { compressor = "none"; }) (n.buildNixShellImage { drv = s.shellDrv; compressor = "none"; }))
        (n.streamLayeredImage.__functionArgs.name == false && n.streamLayeredImage.__functionArgs.tag == true)
        (n.buildImage.__functionArgs ? copyToRoot && n.streamNixShellImage.__functionArgs ? drv)
      ]`);
    assert.deepEqual(equal, [true, true, true, true, true, true]);
  });

  it('gives images that load with the overridden tag; an overridden WithNixDb keeps its Nix database', async () => {
    const [stream, image, nixDb] = await build('overridden-stream', 'overridden-image', 'overridden-nix-db');
    assert.equal(await docker.load(stream!, 'stream'), 'nix-strata-e2e/override-stream:two');
    const reference = await docker.load(image!);
    assert.equal(reference, 'nix-strata-e2e/override-image:one-two');
    assert.equal(await docker.run(reference), 'Hello, world!');
    const db = await docker.load(nixDb!);
    assert.equal(db, 'nix-strata-e2e/override-nix-db:two');
    assert.ok((await docker.files(db)).includes('nix/var/nix/db/db.sqlite'));
  });
});

describe('buildImage passthru', () => {
  it('has buildArgs (the arguments as given) and layer (the derivation of the new layer)', async () => {
    const result = await evalJson(`with ${parity}; {
      names = builtins.attrNames passthru-image.buildArgs; inherit (passthru-image.buildArgs) name tag;
      overridden = (passthru-image.override { tag = "t"; }).buildArgs.tag;
      layerName = passthru-image.layer.name; }`);
    assert.deepEqual(result, { names: ['copyToRoot', 'name', 'tag'], name: 'nix-strata-e2e/passthru-image', tag: 'latest', overridden: 't', layerName: 'docker-layer-passthru-image' });
    const [layer, image] = await build('passthru-image.layer', 'passthru-image');
    const { stdout } = await execa('tar', ['-tf', join(layer!, 'layer.tar')], { stdin: 'ignore' });
    assert.ok(String(stdout).split('\n').includes('./hello.txt'), String(stdout));
    // The layer's layer.tar is the image's layer (copyToRoot references no store path here).
    const { stdout: hash } = await execa('sha256sum', [join(layer!, 'layer.tar')], { stdin: 'ignore' });
    const layers = await docker.layers(await docker.load(image!));
    assert.deepEqual(layers, [`sha256:${String(hash).split(' ')[0]}`]);
  });
});

describe('binSh, usrBinEnv, caCertificates', () => {
  it('link /bin/sh to bash, /usr/bin/env to coreutils\' env and cacert\'s bundle to its three places', async () => {
    const [imagePath, binSh, usrBinEnv, caCertificates] = await build('helpers-image', 'nixStrata.binSh', 'nixStrata.usrBinEnv', 'nixStrata.caCertificates');
    assert.match(await readlink(join(binSh!, 'bin/sh')), /-bash-static\/bin\/bash$/);
    assert.match(await readlink(join(usrBinEnv!, 'usr/bin/env')), /-coreutils-busybox\/bin\/env$/);
    for (const place of ['etc/ssl/certs/ca-bundle.crt', 'etc/ssl/certs/ca-certificates.crt', 'etc/pki/tls/certs/ca-bundle.crt']) {
      assert.match(await readlink(join(caCertificates!, place)), /-cacert\/etc\/ssl\/certs\/ca-bundle\.crt$/, place);
    }
    const reference = await docker.load(imagePath!);
    const out = (await docker.run(reference, ['/bin/sh', '-c', 'echo "bash $BASH_VERSION"; /env-script; cat /etc/ssl/certs/ca-bundle.crt /etc/ssl/certs/ca-certificates.crt /etc/pki/tls/certs/ca-bundle.crt | grep -c "BEGIN CERTIFICATE"'])).split('\n');
    assert.match(out[0]!, /^bash \d+\.\d+/);
    assert.equal(out[1], 'env shebang ran in /env-script');
    const bundle = await readFile(await readlink(join(caCertificates!, 'etc/ssl/certs/ca-bundle.crt')), 'utf8');
    assert.equal(Number(out[2]), 3 * (bundle.match(/BEGIN CERTIFICATE/g)?.length ?? 0));
    assert.ok(Number(out[2]) > 0);
  });

  it('caCertificates says what is missing when the package set has no cacert', async () => {
    const failure = await evalFailure(`(import ${repoRoot}/test/nix/host.nix { }).caCertificates.drvPath`);
    assert.match(failure.stderr, /nix-strata\.caCertificates: this package set has no cacert, whose bundle it links to/);
  });
});

