// The distribution passthru (nix/distribution.nix) built by real Nix in the sandbox, through
// test/nix/host.nix: `oci` (an OCI layout with `digest`), checked with skopeo, umoci and docker
// run, holding the image's SBOM as artifacts referring to it; the `push` executable into a local
// docker-registry (docker pull + run), and `push --sbom` attaching the SBOM as referrers (the
// referrers tag schema: distribution 2.8 has no referrers API); and copyToDockerDaemon /
// copyToPodman. Needs `npm run build`.
import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { execa } from 'execa';
import { buildExpression, Docker, fixture, repoRoot, sandboxed } from './harness.ts';
import { startLocalRegistry, type LocalRegistry } from './local-registry.ts';
import { dockerPullRun, skopeoInspectFails } from './pushed-image.ts';

const docker = new Docker();
const hostNix = join(repoRoot, 'test/nix/host.nix');
// A buildImage result: its distribution outputs read its archive (`--image`).
const buildImageExpression = `let n = import ${hostNix} { }; in n.buildImage { name = "nix-strata-e2e/dist-build-image"; tag = "1"; copyToRoot = [ n.standIns.hello ]; config.Cmd = [ "/bin/hello" ]; }`;

describe('oci, push, copyToDockerDaemon and copyToPodman of image results', { timeout: 600_000 }, () => {
  let dir: string;
  let registry: LocalRegistry;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'nix-strata-e2e-dist-'));
    registry = await startLocalRegistry(dir);
  });
  after(async () => {
    await docker.cleanup();
    await execa('docker', ['rmi', 'nix-strata-e2e/dist-oci:latest'], { reject: false });
    await execa('podman', ['rmi', '-f', 'localhost/nix-strata-e2e/layered-image:latest'], { reject: false });
    await registry?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  let ociDigest: string;
  let ociLayout: string;
  const sbomMediaTypes: Record<string, string> = { 'application/spdx+json': 'sbom.spdx.json', 'application/vnd.cyclonedx+json': 'sbom.cdx.json' };

  it('nix-build -A layered-image.oci (sandbox on): a layout skopeo, umoci and docker read, its manifest digest in `digest`', async () => {
    const layout = await buildExpression(`${fixture('layered-image')}.oci`, sandboxed);
    assert.deepEqual((await readdir(layout)).sort(), ['blobs', 'digest', 'index.json', 'oci-layout']);
    ociDigest = (await readFile(join(layout, 'digest'), 'utf8')).trim();
    const index = JSON.parse(await readFile(join(layout, 'index.json'), 'utf8'));
    assert.equal(index.manifests[0].digest, ociDigest);
    assert.equal(index.manifests[0].annotations['org.opencontainers.image.ref.name'], 'latest');
    const inspected = JSON.parse((await execa('skopeo', ['inspect', `oci:${layout}:latest`])).stdout);
    assert.equal(inspected.Digest, ociDigest);
    const bundle = join(dir, 'bundle');
    await execa('umoci', ['unpack', '--rootless', '--image', `${layout}:latest`, bundle]);
    assert.equal(await readFile(join(bundle, 'rootfs/extraCommands'), 'utf8'), 'extraCommands was here\n');
    await execa('skopeo', ['copy', `oci:${layout}:latest`, 'docker-daemon:nix-strata-e2e/dist-oci:latest']);
    assert.equal((await docker.run('nix-strata-e2e/dist-oci:latest')).trim(), 'Hello, world!');
    ociLayout = layout;
  });

  it('the oci layout holds the SBOM (passthru.sbom\'s files) as artifacts whose subject is the image; skopeo reads oci:DIR without a tag', async () => {
    const sbom = await buildExpression(`${fixture('layered-image')}.sbom`, sandboxed);
    const blob = (digest: string) => join(ociLayout, 'blobs/sha256', digest.slice('sha256:'.length));
    const [entry] = JSON.parse(await readFile(join(ociLayout, 'index.json'), 'utf8')).manifests;
    const list = JSON.parse(await readFile(blob(entry.annotations['org.nix-strata.referrers']), 'utf8'));
    assert.deepEqual(list.manifests.map((m: { artifactType: string }) => m.artifactType).sort(), Object.keys(sbomMediaTypes).sort());
    for (const referrer of list.manifests) {
      const manifest = JSON.parse(await readFile(blob(referrer.digest), 'utf8'));
      assert.equal(manifest.subject.digest, ociDigest);
      assert.deepEqual(await readFile(blob(manifest.layers[0].digest)), await readFile(join(sbom, sbomMediaTypes[referrer.artifactType]!)));
    }
    assert.equal(JSON.parse((await execa('skopeo', ['inspect', `oci:${ociLayout}`])).stdout).Digest, ociDigest);
  });

  it('the push executable sends the image to a registry, the same digest as oci; docker pulls and runs it', async () => {
    const push = await buildExpression(`${fixture('layered-image')}.push`, sandboxed);
    const destination = `${registry.address}/dist/layered:1`;
    const result = await execa(push, ['--tls-verify=false', destination], { env: { HOME: join(dir, 'home') } });
    const digest = result.stdout.trim().split('\n').at(-1);
    assert.equal(digest, ociDigest);
    assert.match(result.stderr, /uploaded/);
    assert.equal((await dockerPullRun(destination, ociDigest)).trim(), 'Hello, world!');
    // Without --sbom the baked-in --sbom-dir attaches nothing.
    await skopeoInspectFails(`${registry.address}/dist/layered:sha256-${ociDigest.slice('sha256:'.length)}`);
  });

  it('push --sbom attaches passthru.sbom as referrers: the sha256-<hex> tag lists both SBOM manifests, the same ones as the oci layout', async () => {
    const push = await buildExpression(`${fixture('layered-image')}.push`, sandboxed);
    const sbom = await buildExpression(`${fixture('layered-image')}.sbom`, sandboxed);
    const repository = `${registry.address}/dist/layered-sbom`;
    const result = await execa(push, ['--tls-verify=false', '--sbom', `${repository}:1`], { env: { HOME: join(dir, 'home') } });
    assert.equal(result.stdout.trim().split('\n').at(-1), ociDigest);
    const raw = async (reference: string) => JSON.parse((await execa('skopeo', ['inspect', '--raw', '--tls-verify=false', `docker://${reference}`])).stdout);
    const index = await raw(`${repository}:sha256-${ociDigest.slice('sha256:'.length)}`);
    assert.deepEqual(index.manifests.map((m: { artifactType: string }) => m.artifactType).sort(), Object.keys(sbomMediaTypes).sort());
    for (const referrer of index.manifests) {
      const manifest = await raw(`${repository}@${referrer.digest}`);
      assert.equal(manifest.subject.digest, ociDigest);
      const response = await fetch(`http://${registry.address}/v2/dist/layered-sbom/blobs/${manifest.layers[0].digest}`);
      assert.deepEqual(Buffer.from(await response.arrayBuffer()), await readFile(join(sbom, sbomMediaTypes[referrer.artifactType]!)));
    }
    // Same image, same documents: the layout's referrers list is the registry's.
    const [entry] = JSON.parse(await readFile(join(ociLayout, 'index.json'), 'utf8')).manifests;
    const listed = JSON.parse(await readFile(join(ociLayout, 'blobs/sha256', entry.annotations['org.nix-strata.referrers'].slice('sha256:'.length)), 'utf8'));
    assert.deepEqual(index, listed);
  });

  it('buildImage: oci and push read its archive, and agree on the digest', async () => {
    const layout = await buildExpression(`(${buildImageExpression}).oci`, sandboxed);
    const digest = (await readFile(join(layout, 'digest'), 'utf8')).trim();
    const inspected = JSON.parse((await execa('skopeo', ['inspect', `oci:${layout}:1`])).stdout);
    assert.equal(inspected.Digest, digest);
    const push = await buildExpression(`(${buildImageExpression}).copyToRegistry`, sandboxed);
    const destination = `${registry.address}/dist/build-image:1`;
    const result = await execa(push, ['--tls-verify=false', destination], { env: { HOME: join(dir, 'home') } });
    assert.equal(result.stdout.trim().split('\n').at(-1), digest);
    assert.equal((await dockerPullRun(destination, digest)).trim(), 'Hello, world!');
  });

  it('copyToDockerDaemon and copyToPodman load the image into the engines', async () => {
    const toDocker = await buildExpression(`${fixture('layered-image')}.copyToDockerDaemon`, sandboxed);
    const loaded = await execa(toDocker, [], { stdin: 'ignore' });
    assert.match(loaded.stdout, /Loaded image: nix-strata-e2e\/layered-image:latest/);
    assert.equal((await docker.run('nix-strata-e2e/layered-image:latest')).trim(), 'Hello, world!');
    await docker.remove('nix-strata-e2e/layered-image:latest');
    const toPodman = await buildExpression(`${fixture('layered-image')}.copyToPodman`, sandboxed);
    await execa(toPodman, [], { stdin: 'ignore' });
    const layers = JSON.parse((await execa('podman', ['image', 'inspect', '--format', '{{json .RootFS.Layers}}', 'localhost/nix-strata-e2e/layered-image:latest'])).stdout);
    assert.ok(Array.isArray(layers) && layers.length > 1);
  });
});
