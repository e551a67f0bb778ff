// End to end: an image whose lower layers have stored blobs (as buildLayer outputs do) written
// as a compressed docker-archive (the stored blobs copied in as members of their own) is loaded
// by docker (gzip directly; zstd through `zstd -dc | docker load`, dockerd 20.10 lacks zstd) and
// runs; pushed to a registry, the stored gzip blobs are the pushed layer blobs.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it, test } from 'node:test';
import { execa } from 'execa';
import { writeDockerArchive } from '../../src/sinks/docker-archive.ts';
import { writeOutput } from '../../src/sinks/output.ts';
import { pushImage } from '../../src/sinks/registry.ts';
import { imageWithStored } from '../sinks/stored-layers.fixture.ts';
import { recordingLogger } from '../sinks/vectors.ts';
import { startLocalRegistry, type LocalRegistry } from './local-registry.ts';
import { dockerPullRun, skopeoInspect } from './pushed-image.ts';

for (const [compressor, compression, load] of [['gz', 'gzip', 'docker load -i "$0"'], ['zstd', 'zstd', 'zstd -dcq "$0" | docker load']] as const) {
  test(`a .tar.${compressor === 'gz' ? 'gz' : 'zst'} with stored ${compression} layers copied in: ${load.replace(' "$0"', '')} loads it and it runs`, async () => {
    const dir = await mkdtemp(join(tmpdir(), 'strata-e2e-stored-'));
    const tag = `nix-strata-stored-${randomBytes(4).toString('hex')}:${compressor}`;
    const image = await imageWithStored(compression, compressor);
    const path = join(dir, 'image.tar.x');
    try {
      await writeOutput({ path, compressor }, (stream, compressed) =>
        writeDockerArchive(image, stream, { repoTags: [tag], mtime: 1, log: recordingLogger(), compressed }));
      assert.deepEqual(image.layers.map((layer) => layer.opened()), [0, 0, 1], 'the stored layers were copied, not read');
      const { stdout } = await execa('sh', ['-c', load, path]);
      assert.match(stdout, new RegExp(`Loaded image: ${tag}`));
      try {
        const inspect = JSON.parse((await execa('docker', ['image', 'inspect', tag])).stdout)[0];
        assert.deepEqual(inspect.RootFS.Layers, await Promise.all(image.layers.map((layer) => layer.diffId())));
        assert.equal((await execa('docker', ['run', '--rm', '--network', 'none', tag], { stdin: 'ignore' })).stdout, image.motd.trimEnd());
      } finally {
        await execa('docker', ['rmi', tag], { reject: false });
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
}

describe('pushing layers with stored gzip blobs', { timeout: 240_000 }, () => {
  let dir: string;
  let registry: LocalRegistry;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'strata-e2e-stored-push-'));
    registry = await startLocalRegistry(dir);
  });
  after(async () => {
    await registry?.stop();
    await rm(dir, { recursive: true, force: true });
  });
  const cold = (name: string) => ({ env: { HOME: join(dir, name) }, home: join(dir, name), retry: { attempts: 2, firstDelayMs: 50 } });

  it('uploads the stored blobs as they are (their digests in the manifest, their tars unread); docker pulls and runs it', async () => {
    const image = await imageWithStored('gzip', 'pushed');
    const reference = `${registry.address}/strata/stored:1`;
    const result = await pushImage(image, [reference], cold('one'));
    assert.deepEqual(image.layers.map((layer) => layer.opened()), [0, 0, 1]);
    const inspected = await skopeoInspect(reference);
    assert.equal(inspected.Digest, result.digest);
    assert.deepEqual(inspected.Layers.slice(0, 2), image.layers.slice(0, 2).map((layer) => layer.stored!.digest));
    assert.equal(await dockerPullRun(reference, result.digest), 'pushed pushed');
  });

  it('a damaged stored blob fails the push in one line naming the layer, and no tag is set', async () => {
    const image = await imageWithStored('gzip', 'damaged', (blob) => Buffer.concat([blob.subarray(0, 100), Buffer.alloc(1, blob[100]! ^ 1), blob.subarray(101)]));
    const reference = `${registry.address}/strata/damaged:1`;
    await assert.rejects(pushImage(image, [reference], cold('two')), (error: Error & { code?: string }) => {
      assert.equal(error.name, 'UserError', error.stack);
      assert.equal(error.code, 'stored-blob-corrupt');
      assert.ok(!error.message.includes('\n'));
      assert.match(error.message, /^the stored gzip blob of layer 2\/3 has digest sha256:[0-9a-f]{64}, not its recorded/);
      return true;
    });
    const missing = await execa('skopeo', ['inspect', '--tls-verify=false', `docker://${reference}`], { reject: false });
    assert.notEqual(missing.exitCode, 0);
  });
});
