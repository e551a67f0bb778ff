// buildImageIndex (nix/image-index.nix) built by real Nix in the sandbox: an index of an amd64
// image and an arm64 one (the stand-ins are amd64 binaries: the arm64 image is there for its
// manifest). skopeo reads the OCI index; after the push, docker pulls each platform's manifest
// and runs the amd64 one. Two images of one platform fail the build in one line. Needs `npm run build`.
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { execa } from 'execa';
import { buildExpression, buildFailure, evalFailure, evalJson, repoRoot, sandboxed } from './harness.ts';
import { startLocalRegistry, type LocalRegistry } from './local-registry.ts';

const hostNix = join(repoRoot, 'test/nix/host.nix');
const image = (tag: string, extra: string) => `n.streamLayeredImage { name = "nix-strata-e2e/index-part"; tag = "${tag}"; contents = [ n.standIns.hello ]; config.Cmd = [ "/bin/hello" ]; ${extra} }`;
const index = (images: string) => `let n = import ${hostNix} { }; in n.buildImageIndex { name = "nix-strata-e2e/multi"; tag = "1"; images = [ ${images} ]; annotations."org.opencontainers.image.version" = "1.0"; }`;
const twoPlatforms = index(`(${image('amd64', 'architecture = "amd64";')}) (${image('arm64', 'architecture = "arm64"; variant = "v8";')})`);

describe('buildImageIndex', { timeout: 600_000 }, () => {
  let dir: string;
  let registry: LocalRegistry;
  let pulled: string | undefined;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'nix-strata-e2e-index-'));
    registry = await startLocalRegistry(dir);
  });
  after(async () => {
    if (pulled !== undefined) await execa('docker', ['rmi', pulled], { reject: false });
    await registry?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  let indexDigest: string;

  it('oci (sandbox on): an OCI layout holding an index with one manifest per platform', async () => {
    const layout = await buildExpression(`(${twoPlatforms}).oci`, sandboxed);
    indexDigest = (await readFile(join(layout, 'digest'), 'utf8')).trim();
    const raw = JSON.parse((await execa('skopeo', ['inspect', '--raw', `oci:${layout}:1`])).stdout);
    assert.equal(raw.mediaType, 'application/vnd.oci.image.index.v1+json');
    assert.deepEqual(raw.manifests.map((m: { platform: unknown }) => m.platform), [
      { architecture: 'amd64', os: 'linux' },
      { architecture: 'arm64', os: 'linux', variant: 'v8' },
    ]);
    assert.deepEqual(raw.annotations, { 'org.opencontainers.image.version': '1.0' });
    // skopeo resolves each platform's image from the layout (its blobs are all there).
    const arm = JSON.parse((await execa('skopeo', ['inspect', '--override-arch', 'arm64', '--override-variant', 'v8', `oci:${layout}:1`])).stdout);
    assert.equal(arm.Architecture, 'arm64');
    assert.equal(await evalJson(`(${twoPlatforms}).imageTag`), '1');
  });

  it('push sends both manifests and the index; docker pulls each platform and runs the amd64 one', async () => {
    const push = await buildExpression(`(${twoPlatforms}).push`, sandboxed);
    const destination = `${registry.address}/multi:1`;
    const result = await execa(push, ['--tls-verify=false', destination], { env: { HOME: join(dir, 'home') } });
    assert.equal(result.stdout.trim().split('\n').at(-1), indexDigest);
    pulled = destination;
    await execa('docker', ['pull', '--platform', 'linux/arm64', destination], { stdin: 'ignore' });
    assert.equal((await execa('docker', ['image', 'inspect', '--format', '{{.Architecture}}', destination])).stdout.trim(), 'arm64');
    await execa('docker', ['rmi', destination]);
    await execa('docker', ['pull', '--platform', 'linux/amd64', destination], { stdin: 'ignore' });
    assert.equal((await execa('docker', ['image', 'inspect', '--format', '{{.Architecture}}', destination])).stdout.trim(), 'amd64');
    const run = await execa('docker', ['run', '--rm', '--network', 'none', destination], { stdin: 'ignore' });
    assert.equal(run.stdout.trim(), 'Hello, world!');
  });

  it('two images of one platform: one line at evaluation naming both', async () => {
    const { stderr } = await evalFailure(`(${index(`(${image('a', 'architecture = "arm64";')}) (${image('b', 'architecture = "arm64";')})`)}).drvPath`);
    assert.match(stderr, /in image index nix-strata-e2e\/multi: images nix-strata-e2e\/index-part:a and nix-strata-e2e\/index-part:b are both linux\/arm64; give each platform once/);
  });

  it('without the platform passthru (a plain layout), the builder refuses them in one line', async () => {
    const plain = (tag: string) => `{ imageName = "x"; imageTag = "${tag}"; oci = (${image(tag, 'architecture = "arm64";')}).oci; }`;
    const failure = await buildFailure(`let n = import ${hostNix} { }; in (n.buildImageIndex { name = "nix-strata-e2e/multi"; tag = "1"; images = [ ${plain('a')} ${plain('b')} ]; }).oci`, sandboxed);
    assert.match(failure.stderr, /image index nix-strata-e2e\/multi:1: images nix-strata-e2e\/index-part:a and nix-strata-e2e\/index-part:b are both linux\/arm64; give each platform once/);
  });
});
