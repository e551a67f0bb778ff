// pullImage against the fake registry: index → platform manifest → config → verified layers,
// an Image whose identities hold (config digest, layer digests, sizes, diff_ids).
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import tar from 'tar-stream';
import { sha256Digest, type Digest } from '../../src/digest/digest.ts';
import { UserError } from '../../src/errors.ts';
import type { Image } from '../../src/image/types.ts';
import { MEDIA_TYPES } from '../../src/registry/manifest.ts';
import { pullImage } from '../../src/sources/registry.ts';
import { recordedRepoTag } from '../../src/steps/pull.ts';
import { readDockerArchive } from '../../src/sources/docker-archive.ts';
import { assertCleanFailure, runCli } from '../faults/fixture.ts';
import { startFakeRegistry, type FakeRegistry } from './fake-registry.ts';
import { validateImage } from '../image/validate.ts';

async function tarOf(files: Record<string, string>): Promise<Buffer> {
  const pack = tar.pack();
  for (const [name, content] of Object.entries(files)) pack.entry({ name, mtime: new Date(0), mode: 0o644 }, content);
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const chunk of pack) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** The invariants every Image must keep (test/image/validate.ts), and the config the manifest named. */
async function validate(image: Image, configDigest: Digest): Promise<void> {
  assert.equal(sha256Digest(await image.rawConfig()), configDigest, 'config digest');
  await validateImage(image);
}

describe('pullImage', () => {
  let registry: FakeRegistry;
  let blobDir: string;
  let indexDigest: Digest;
  let amd64Digest: Digest;
  let configDigest: Digest;
  let brokenDigest: Digest;

  before(async () => {
    registry = await startFakeRegistry({ auth: 'bearer' });
    blobDir = await mkdtemp(join(tmpdir(), 'pull-image-test-'));
    const lower = await tarOf({ 'etc/os-release': 'ID=test\n', 'bin/tool': 'binary' });
    const upper = await tarOf({ 'etc/.wh.os-release': '', 'etc/motd': 'hi\n' });
    const lowerGz = gzipSync(lower);
    const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', config: {}, rootfs: { type: 'layers', diff_ids: [sha256Digest(lower), sha256Digest(upper)] } }));
    configDigest = registry.putBlob('team/app', config);
    const layers = [
      { mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: registry.putBlob('team/app', lowerGz), size: lowerGz.length },
      { mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: registry.putBlob('team/app', upper), size: upper.length },
    ];
    amd64Digest = registry.putManifest('team/app', { schemaVersion: 2, mediaType: MEDIA_TYPES.ociManifest, config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: configDigest, size: config.length }, layers });
    const wrongConfig = Buffer.from(JSON.stringify({ rootfs: { type: 'layers', diff_ids: [sha256Digest('x'), sha256Digest(upper)] } }));
    brokenDigest = registry.putManifest('team/app', { schemaVersion: 2, mediaType: MEDIA_TYPES.ociManifest, config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: registry.putBlob('team/app', wrongConfig), size: wrongConfig.length }, layers });
    indexDigest = registry.putManifest('team/app', {
      schemaVersion: 2, mediaType: MEDIA_TYPES.ociIndex,
      manifests: [
        { mediaType: MEDIA_TYPES.ociManifest, digest: brokenDigest, size: 1, platform: { os: 'linux', architecture: 'arm64' } },
        { mediaType: MEDIA_TYPES.ociManifest, digest: amd64Digest, size: 1, platform: { os: 'linux', architecture: 'amd64' } },
      ],
    }, 'v1');
  });
  after(async () => {
    await registry.close();
    await rm(blobDir, { recursive: true, force: true });
  });

  it('CLI pull: REF@sha256:… pulls by that digest without --digest; no digest, two different digests or a bad recorded name:tag are one line before any request', async () => {
    const out = await mkdtemp(join(tmpdir(), 'pull-cli-test-'));
    try {
      const archive = join(out, 'image.tar');
      const ok = await runCli(['pull', `${registry.host}/team/app@${amd64Digest}`, '--output', archive, '--final-tag', 'v1', '--quiet']);
      assert.equal(ok.exitCode, 0, Buffer.from(ok.stderr).toString());
      const pulled = await readDockerArchive(archive);
      assert.deepEqual(pulled.repoTags, [`${registry.host}/team/app:v1`]);
      assert.equal(sha256Digest(pulled.rawConfig), configDigest);

      const requests = registry.requests.length;
      const failures: Array<[string[], RegExp]> = [
        [[`${registry.host}/team/app:v1`], /no digest to pull by; append @sha256:<hex> to it or pass --digest sha256:<hex>$/],
        [[`${registry.host}/team/app@${amd64Digest}`, '--digest', indexDigest], /names sha256:[0-9a-f]{64} but --digest is sha256:[0-9a-f]{64}; give one digest$/],
        [[`${registry.host}/team/app@${amd64Digest}`, '--final-name', 'Team/App'], /the recorded name:tag \(--final-name, --final-tag\) "Team\/App:latest": bad repository component "Team"/],
        [[`${registry.host}/team/app@${amd64Digest}`, '--final-tag', 'a b'], /"[^"]*:a b": bad tag "a b"; expected NAME:TAG/],
      ];
      for (const [args, pattern] of failures) {
        assertCleanFailure(await runCli(['pull', ...args, '--output', join(out, 'bad.tar')]), pattern);
        assert.ok(!existsSync(join(out, 'bad.tar')));
      }
      assert.equal(registry.requests.length, requests, 'no request was made for a refused pull');
    } finally {
      await rm(out, { recursive: true, force: true });
    }
  });

  it('CLI pull: an --output in a missing directory is one line naming it, before any request', async () => {
    const out = await mkdtemp(join(tmpdir(), 'pull-cli-test-'));
    try {
      const requests = registry.requests.length;
      const archive = join(out, 'no-such-dir', 'image.tar');
      assertCleanFailure(await runCli(['pull', `${registry.host}/team/app@${amd64Digest}`, '--output', archive, '--quiet']), /cannot write .*no-such-dir\/image\.tar: ENOENT/);
      assert.equal(registry.requests.length, requests, 'nothing was downloaded for an output that cannot be written');
      assert.deepEqual(await readdir(out), []);
    } finally {
      await rm(out, { recursive: true, force: true });
    }
  });

  it('pulls the chosen platform of an index by digest', async () => {
    const image = await pullImage({ reference: `${registry.host}/team/app:v1`, digest: indexDigest, blobDir });
    assert.equal(image.manifestDigest, amd64Digest);
    assert.equal(image.requestedDigest, indexDigest);
    assert.equal(image.configDigest, configDigest);
    // The name:tag is the pull step's (a sink argument), not the image's.
    assert.deepEqual([recordedRepoTag({ reference: `${registry.host}/team/app:v1` })], [`${registry.host}/team/app:latest`]);
    assert.deepEqual(image.layers.map((l) => l.compression), ['gzip', 'none']);
    await validate(image, configDigest);
  });

  it('pulls a manifest digest given in the reference, with a chosen name', async () => {
    const image = await pullImage({ reference: `${registry.host}/team/app@${amd64Digest}`, blobDir });
    assert.deepEqual([recordedRepoTag({ reference: `${registry.host}/team/app@${amd64Digest}`, finalName: 'base', finalTag: '1' })], ['base:1']);
    await validate(image, configDigest);
  });

  it('stores layers uncompressed on request', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'pull-image-test-'));
    try {
      const image = await pullImage({ reference: `${registry.host}/team/app`, digest: amd64Digest, blobDir: dir, decompress: true });
      assert.deepEqual(image.layers.map((l) => l.compression), ['none', 'none']);
      await validate(image, configDigest);
      assert.equal((await readdir(dir)).length, 2);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('rejects a layer whose content does not match the config diff_id', async () => {
    await assert.rejects(pullImage({ reference: `${registry.host}/team/app`, digest: indexDigest, arch: 'arm64', blobDir }),
      (error: unknown) => error instanceof UserError && /layer 1\/2 .*uncompressed content has digest .* but the image config's diff_id is/.test(error.message));
  });

  it('rejects a platform the index lacks', async () => {
    await assert.rejects(pullImage({ reference: `${registry.host}/team/app`, digest: indexDigest, arch: 'riscv64', blobDir }),
      /no manifest for linux\/riscv64; available: linux\/arm64, linux\/amd64/);
  });

  it('rejects an unknown digest', async () => {
    await assert.rejects(pullImage({ reference: `${registry.host}/team/app`, digest: sha256Digest('nothing'), blobDir }),
      (error: unknown) => error instanceof UserError && error.code === 'registry-not-found');
  });
});
