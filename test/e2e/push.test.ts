// End to end: pushImage into Debian's docker-registry (plain http on 127.0.0.1), checked by
// skopeo, docker (pull + run) and podman; uploads counted from the registry's access log: a
// second repository gets its blobs by mount, a cold-runner repush of a one-layer change
// sends only that layer and the config, and the same image again sends nothing.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pushImage, type PushOptions } from '../../src/sinks/registry.ts';
import { testImage } from '../registry/push-fixture.ts';
import { startLocalRegistry, type LocalRegistry } from './local-registry.ts';
import { dockerPullRun, podmanPull, skopeoInspect } from './pushed-image.ts';

describe('pushing to a local docker-registry', { timeout: 240_000 }, () => {
  let dir: string;
  let registry: LocalRegistry;
  let host: string;
  let firstDigest: string;
  // A cold runner: a new empty HOME for each push, no XDG directories, no credentials, no cache.
  let homes = 0;
  const cold = (): PushOptions => {
    const home = join(dir, `home-${homes++}`);
    return { env: { HOME: home }, home, retry: { attempts: 2, firstDelayMs: 50 } };
  };

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'nix-strata-e2e-push-'));
    registry = await startLocalRegistry(dir);
    host = registry.address;
  });
  after(async () => {
    await registry?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('pushes every blob once, mounts them into a second repository, and sets each tag', async () => {
    const image = testImage('one');
    const result = await pushImage(image, [`${host}/strata/app:1`, `${host}/strata/app:latest`, `${host}/strata/copy:1`], cold());
    firstDigest = result.digest;
    assert.match(result.digest, /^sha256:[0-9a-f]{64}$/);
    assert.deepEqual(result.pushed, [`${host}/strata/app:1`, `${host}/strata/app:latest`, `${host}/strata/copy:1`]);
    // Three layers and the config, uploaded once; the second repository mounts all four.
    assert.equal(registry.blobUploads('strata/app'), 4);
    assert.equal(registry.blobUploads('strata/copy'), 0);
    assert.deepEqual(result.blobs, { uploaded: 4, mounted: 4, present: 0, reused: 0 });
    for (const reference of [`${host}/strata/app:1`, `${host}/strata/app:latest`, `${host}/strata/copy:1`]) {
      const inspected = await skopeoInspect(reference);
      assert.equal(inspected.Digest, result.digest, reference);
      assert.equal(inspected.Layers.length, 3, reference);
    }
  });

  it('gives an image docker pulls and runs, and podman pulls, under the pushed digest', async () => {
    assert.equal(await dockerPullRun(`${host}/strata/app:1`, firstDigest), 'pushed one');
    assert.equal(await podmanPull(`${host}/strata/copy:1`), firstDigest);
  });

  it('pushes the same image again without sending a blob, to the same digest', async () => {
    const before = registry.blobUploads();
    const result = await pushImage(testImage('one'), [`${host}/strata/app:1`], cold());
    assert.equal(result.digest, firstDigest);
    assert.equal(registry.blobUploads(), before);
    // The plain-tar layers are found in the tag's current image by diff_id; the config by HEAD.
    assert.deepEqual(result.blobs, { uploaded: 0, mounted: 0, present: 4, reused: 3 });
  });

  it('repushes a one-layer change from a cold runner sending only that layer and the config', async () => {
    const before = registry.blobUploads('strata/app');
    const result = await pushImage(testImage('two'), [`${host}/strata/app:1`], cold());
    assert.equal(registry.blobUploads('strata/app') - before, 2);
    assert.equal(result.blobs.uploaded, 2);
    assert.equal(result.blobs.reused, 2);
    assert.notEqual(result.digest, firstDigest);
    assert.equal((await skopeoInspect(`${host}/strata/app:1`)).Digest, result.digest);
    assert.equal(await dockerPullRun(`${host}/strata/app:1`, result.digest), 'pushed two');
  });

  it('reuses the layers of a --base tag when pushing to a new tag', async () => {
    const before = registry.blobUploads();
    const result = await pushImage(testImage('three'), [`${host}/strata/fresh:1`], { ...cold(), base: `${host}/strata/app:latest`, mountFrom: [`${host}/strata/app`] });
    // busybox and the data layer come from the base by mount; the changed layer and the config are sent.
    assert.equal(registry.blobUploads() - before, 2);
    assert.equal(result.blobs.mounted, 2);
    assert.equal((await skopeoInspect(`${host}/strata/fresh:1`)).Digest, result.digest);
  });
});
