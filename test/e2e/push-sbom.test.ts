// `nix-strata push --sbom` into a local docker-registry (distribution 2.8, no referrers API):
// each destination repository gets both SBOM artifact manifests (subject = the image) and the
// referrers tag schema's index at `sha256-<hex>`, read back with skopeo; a second push lists
// nothing twice. Behind a proxy that answers `OCI-Subject` (a registry with the referrers
// API), no tag is written. Needs `npm run build`.
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { execa } from 'execa';
import { assertCleanFailure, makeFixture, runCli, writeConf, type Fixture } from '../faults/fixture.ts';
import { startLocalRegistry, type LocalRegistry } from './local-registry.ts';
import { skopeoInspectFails } from './pushed-image.ts';

type Json = Record<string, any>;
const SPDX = Buffer.from('{"spdxVersion":"SPDX-2.3","name":"push-sbom test"}\n');
const CDX = Buffer.from('{"bomFormat":"CycloneDX","specVersion":"1.5"}\n');

async function raw(reference: string): Promise<Json> {
  return JSON.parse((await execa('skopeo', ['inspect', '--raw', '--tls-verify=false', `docker://${reference}`])).stdout) as Json;
}

async function blob(address: string, repository: string, digest: string): Promise<Buffer> {
  const response = await fetch(`http://${address}/v2/${repository}/blobs/${digest}`);
  assert.equal(response.status, 200);
  return Buffer.from(await response.arrayBuffer());
}

/** A proxy in front of `upstream` that adds `OCI-Subject` to a manifest PUT whose body has a subject, as a registry with the referrers API does. */
async function ociSubjectProxy(upstream: string): Promise<{ address: string; close(): Promise<void> }> {
  const [host, port] = upstream.split(':') as [string, string];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      let subject: string | undefined;
      if (req.method === 'PUT' && /\/manifests\//.test(req.url ?? '')) subject = (JSON.parse(body.toString()) as Json).subject?.digest;
      const forward = http.request({ host, port: Number(port), method: req.method, path: req.url, headers: req.headers }, (answer) => {
        res.writeHead(answer.statusCode ?? 502, { ...answer.headers, ...(subject === undefined ? {} : { 'oci-subject': subject }) });
        answer.pipe(res);
      });
      forward.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    address: `127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

describe('nix-strata push --sbom', { timeout: 240_000 }, () => {
  let dir: string;
  let sbomDir: string;
  let registry: LocalRegistry;
  let fixture: Fixture;
  const push = (args: readonly string[]) => runCli(['push', '--conf', fixture.confPath, '--tls-verify=false', ...args], { env: { HOME: join(dir, 'home'), XDG_CACHE_HOME: '' } });
  const digestOf = (result: { stdout: unknown }) => Buffer.from(result.stdout as Buffer).toString().trim().split('\n').at(-1)!;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'nix-strata-push-sbom-'));
    sbomDir = join(dir, 'sbom');
    await mkdir(sbomDir);
    await writeFile(join(sbomDir, 'sbom.spdx.json'), SPDX);
    await writeFile(join(sbomDir, 'sbom.cdx.json'), CDX);
    registry = await startLocalRegistry(dir);
    fixture = await makeFixture();
    await writeConf(fixture);
  });
  after(async () => {
    await registry?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
    if (fixture) await rm(fixture.work, { recursive: true, force: true });
  });

  it('without the referrers API: both SBOMs as referrers of the image in every destination, listed at the sha256-<hex> tag, once after two pushes', async () => {
    const destinations = [`${registry.address}/strata/sbom-a:1`, `${registry.address}/strata/sbom-b:1`];
    const first = await push(['--sbom', '--sbom-dir', sbomDir, ...destinations]);
    assert.equal(first.exitCode, 0, Buffer.from(first.stderr).toString());
    const digest = digestOf(first);
    const tag = `sha256-${digest.slice('sha256:'.length)}`;
    for (const repository of ['strata/sbom-a', 'strata/sbom-b']) {
      const index = await raw(`${registry.address}/${repository}:${tag}`);
      assert.equal(index.mediaType, 'application/vnd.oci.image.index.v1+json');
      assert.deepEqual(index.manifests.map((m: Json) => m.artifactType).sort(), ['application/spdx+json', 'application/vnd.cyclonedx+json']);
      for (const entry of index.manifests as Json[]) {
        const manifest = await raw(`${registry.address}/${repository}@${entry.digest}`);
        assert.equal(manifest.subject.digest, digest);
        assert.equal(manifest.artifactType, entry.artifactType);
        assert.equal(manifest.config.mediaType, 'application/vnd.oci.empty.v1+json');
        assert.deepEqual(entry.annotations, manifest.annotations ?? {});
        const expected = entry.artifactType === 'application/spdx+json' ? SPDX : CDX;
        assert.deepEqual(await blob(registry.address, repository, manifest.layers[0].digest), expected);
      }
    }
    const before = await raw(`${registry.address}/strata/sbom-a:${tag}`);
    const again = await push(['--sbom', '--sbom-dir', sbomDir, destinations[0]!]);
    assert.equal(again.exitCode, 0, Buffer.from(again.stderr).toString());
    assert.equal(digestOf(again), digest);
    assert.deepEqual(await raw(`${registry.address}/strata/sbom-a:${tag}`), before);
    assert.equal(before.manifests.length, 2);
  });

  it('with the referrers API (OCI-Subject in the answer): the artifacts are pushed, no referrers tag is written', async () => {
    const proxy = await ociSubjectProxy(registry.address);
    try {
      const result = await push(['--sbom', '--sbom-dir', sbomDir, `${proxy.address}/strata/sbom-api:1`]);
      assert.equal(result.exitCode, 0, Buffer.from(result.stderr).toString());
      const digest = digestOf(result);
      await skopeoInspectFails(`${registry.address}/strata/sbom-api:sha256-${digest.slice('sha256:'.length)}`);
      const attached = [...Buffer.from(result.stderr).toString().matchAll(/pushed \S+@(sha256:[0-9a-f]{64}) \((application\/\S+),/g)];
      assert.deepEqual(attached.map((m) => m[2]).sort(), ['application/spdx+json', 'application/vnd.cyclonedx+json']);
      for (const [, manifest] of attached) assert.equal((await raw(`${registry.address}/strata/sbom-api@${manifest}`)).subject.digest, digest);
      const tags = await (await fetch(`http://${registry.address}/v2/strata/sbom-api/tags/list`)).json() as Json;
      assert.deepEqual(tags.tags, ['1']);
    } finally {
      await proxy.close();
    }
  });

  it('a referrers tag that holds an image, not an index: one line naming the tag, the tag left as it was', async () => {
    const plain = await push([`${registry.address}/strata/sbom-clash:1`]);
    assert.equal(plain.exitCode, 0, Buffer.from(plain.stderr).toString());
    const tag = `sha256-${digestOf(plain).slice('sha256:'.length)}`;
    const occupied = await push([`${registry.address}/strata/sbom-clash:${tag}`]);
    assert.equal(occupied.exitCode, 0, Buffer.from(occupied.stderr).toString());
    const result = await push(['--sbom', '--sbom-dir', sbomDir, `${registry.address}/strata/sbom-clash:1`]);
    assertCleanFailure(result, new RegExp(`^nix-strata: ${registry.address.replace(/\./g, '\\.')}/strata/sbom-clash:${tag}: holds something other than an OCI image index, .*delete that tag and push again$`));
    assert.equal((await raw(`${registry.address}/strata/sbom-clash:${tag}`)).mediaType, 'application/vnd.oci.image.manifest.v1+json');
  });

  it('push --sbom without an SBOM directory, or one lacking a document: one line, nothing pushed', async () => {
    const none = await push(['--sbom', `${registry.address}/strata/sbom-none:1`]);
    assertCleanFailure(none, /^nix-strata: push --sbom: no SBOM to attach; .*--sbom-dir DIR/);
    const empty = join(dir, 'empty');
    await mkdir(empty);
    const missing = await push(['--sbom', '--sbom-dir', empty, `${registry.address}/strata/sbom-none:1`]);
    assertCleanFailure(missing, /^nix-strata: --sbom-dir .*empty: cannot read sbom\.spdx\.json \(ENOENT\); give the image's passthru\.sbom output$/);
    await skopeoInspectFails(`${registry.address}/strata/sbom-none:1`);
  });
});
