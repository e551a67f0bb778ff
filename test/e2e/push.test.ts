// End to end: pushImage into Debian's docker-registry (plain http on 127.0.0.1), checked by
// skopeo, docker (pull + run) and podman; uploads counted from the registry's access log: a
// second repository gets its blobs by mount, a cold-runner repush of a one-layer change
// sends only that layer and the config, and the same image again sends nothing.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { execa } from 'execa';
import { sha256Digest } from '../../src/digest/digest.ts';
import { pushImage, type PushableImage, type PushOptions } from '../../src/sinks/registry.ts';
import { bytesLayer } from '../../src/sources/bytes-layer.ts';
import { storePathsLayer } from '../../src/sources/store-paths.ts';
import { compressLayer } from '../../src/sinks/compress-layer.ts';
import { keyedLayer } from '../../src/steps/image-source.ts';
import type { Layer } from '../../src/image/types.ts';
import { mkdirSync, writeFileSync } from 'node:fs';
import { testImage } from '../registry/push-fixture.ts';
import { buildVectorTree, DEMO, NOTE, ROOT_OWNER } from '../tar/fixtures.ts';
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
    assert.deepEqual(result.blobs, { uploaded: 4, mounted: 4, present: 0, reused: 0, reusedByKey: 0 });
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
    assert.deepEqual(result.blobs, { uploaded: 0, mounted: 0, present: 4, reused: 3, reusedByKey: 0 });
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

  it('pushes a store-path layer whose digests come from its stream, and finds it again by diff_id', async () => {
    const tree = join(dir, 'tree');
    buildVectorTree(tree);
    // The stream's layer, as imageFromConf makes it: the config (diff_ids) is read after the layers.
    const image = (): PushableImage => {
      const busybox = testImage('store').layers[0]!;
      const store = storePathsLayer([DEMO, NOTE], { ...ROOT_OWNER, root: tree });
      const layers = [busybox, store];
      return {
        layers,
        rawConfig: async () => Buffer.from(JSON.stringify({
          architecture: 'amd64', os: 'linux', config: { Cmd: ['/bin/cat', `${NOTE}`] },
          rootfs: { type: 'layers', diff_ids: await Promise.all(layers.map((layer) => layer.diffId())) },
        })),
      };
    };
    const first = await pushImage(image(), [`${host}/strata/store:1`], cold());
    assert.equal(await dockerPullRun(`${host}/strata/store:1`, first.digest), 'note');
    const before = registry.blobUploads();
    const again = await pushImage(image(), [`${host}/strata/store:1`], cold());
    assert.equal(again.digest, first.digest);
    assert.equal(registry.blobUploads(), before);
    assert.equal(again.blobs.reused, 2);
    // The pushed layer is the tar the docker-archive sink would write: its diff_id is the stream's.
    const { stdout } = await execa('skopeo', ['inspect', '--tls-verify=false', '--config', `docker://${host}/strata/store:1`]);
    const diffIds = (JSON.parse(stdout) as { rootfs: { diff_ids: string[] } }).rootfs.diff_ids;
    assert.equal(diffIds[1], await storePathsLayer([DEMO, NOTE], { ...ROOT_OWNER, root: tree }).diffId());
    assert.equal(diffIds[0], sha256Digest(testImage('store').tars[0]!));
  });

  it('copies reused layers into a second registry that lacks them, in the same run', async () => {
    const other = await startLocalRegistry(await mkdtemp(join(dir, 'other-')));
    try {
      const before = registry.blobUploads();
      const result = await pushImage(testImage('four'), [`${host}/strata/app:1`, `${other.address}/strata/app:1`], cold());
      // The first registry gets the changed layer and the config; the second everything, its
      // reused layers streamed from the first.
      assert.equal(registry.blobUploads() - before, 2);
      assert.equal(other.blobUploads(), 4);
      assert.equal((await skopeoInspect(`${other.address}/strata/app:1`)).Digest, result.digest);
      assert.equal(await dockerPullRun(`${other.address}/strata/app:1`, result.digest), 'pushed four');
    } finally {
      await other.stop();
    }
  });

  it('asks for a compressed layer by digest first, and uploads into the session a failed mount opened (Docker schema 2)', async () => {
    const plain = testImage('pre');
    const layers = await Promise.all(plain.layers.map(async (layer, i) => {
      const chunks: Buffer[] = [];
      for await (const chunk of compressLayer(layer, 'gzip')) chunks.push(chunk as Buffer);
      return bytesLayer(Buffer.concat(chunks), { origin: [`gzip ${i}`], compression: 'gzip', diffId: await layer.diffId() });
    }));
    const image: PushableImage = { layers, rawConfig: plain.rawConfig };
    const options = { ...cold(), schema: 'docker' as const, mountFrom: [`${host}/strata/nothing-here`] };
    const before = registry.blobUploads('strata/pre');
    const result = await pushImage(image, [`${host}/strata/pre:1`], options);
    assert.equal(registry.blobUploads('strata/pre') - before, 4);
    assert.deepEqual(result.blobs, { uploaded: 4, mounted: 0, present: 0, reused: 0, reusedByKey: 0 });
    // Each layer's mount from the empty repository was refused (202) and its upload went into that session.
    const mounts = registry.log().split('\n').filter((line) => /"POST \/v2\/strata\/pre\/blobs\/uploads\/\?from=strata%2Fnothing-here&mount=sha256%3A[0-9a-f]{64} HTTP\/1\.1" 202 /.test(line) ||
      /"POST \/v2\/strata\/pre\/blobs\/uploads\/\?mount=sha256%3A[0-9a-f]{64}&from=strata%2Fnothing-here HTTP\/1\.1" 202 /.test(line));
    assert.equal(mounts.length, 3);
    const starts = registry.log().split('\n').filter((line) => /"POST \/v2\/strata\/pre\/blobs\/uploads\/ HTTP/.test(line));
    assert.equal(starts.length, 1, 'only the config started an upload of its own');
    const raw = JSON.parse((await execa('skopeo', ['inspect', '--tls-verify=false', '--raw', `docker://${host}/strata/pre:1`])).stdout) as { mediaType: string; layers: Array<{ mediaType: string }> };
    assert.equal(raw.mediaType, 'application/vnd.docker.distribution.manifest.v2+json');
    assert.ok(raw.layers.every((layer) => layer.mediaType === 'application/vnd.docker.image.rootfs.diff.tar.gzip'));
    assert.equal(await dockerPullRun(`${host}/strata/pre:1`, result.digest), 'pushed pre');
    // Known digests: a second push only asks.
    const again = await pushImage(image, [`${host}/strata/pre:1`], options);
    assert.deepEqual(again.blobs, { uploaded: 0, mounted: 0, present: 4, reused: 0, reusedByKey: 0 });
    assert.equal(again.digest, result.digest);
  });

  it('compresses and sends every layer again with reuseRemoteLayers false (and no cache)', async () => {
    const before = registry.blobUploads('strata/app');
    const result = await pushImage(testImage('four'), [`${host}/strata/app:1`], { ...cold(), reuseRemoteLayers: false });
    assert.equal(registry.blobUploads('strata/app') - before, 3);
    assert.deepEqual(result.blobs, { uploaded: 3, mounted: 0, present: 1, reused: 0, reusedByKey: 0 });
  });

  it('reuses the layers of a --base tag when pushing to a new tag', async () => {
    const before = registry.blobUploads();
    const result = await pushImage(testImage('three'), [`${host}/strata/fresh:1`], { ...cold(), base: `${host}/strata/app:latest`, mountFrom: [`${host}/strata/app`] });
    // busybox and the data layer come from the base by mount; the changed layer and the config are sent.
    assert.equal(registry.blobUploads() - before, 2);
    assert.equal(result.blobs.mounted, 2);
    assert.equal((await skopeoInspect(`${host}/strata/fresh:1`)).Digest, result.digest);
  });
  // Store layers as imageFromConf makes them from a conf with content keys; `reads` counts every
  // pass over a layer's paths (a diff_id asked of the store walk, or a stream of it).
  const keyedImage = (tree: string, names: readonly string[][], keyed: boolean, reads: Map<string, number>): PushableImage => {
    const layers = names.map((paths) => {
      const storePaths = paths.map((name) => `/nix/store/${name.padEnd(32, '0').slice(0, 32)}-${name}`);
      for (const path of storePaths) {
        mkdirSync(join(tree, path), { recursive: true });
        writeFileSync(join(tree, path, 'file'), `${path}\n`);
      }
      const inner = storePathsLayer(storePaths, { ...ROOT_OWNER, root: tree });
      const label = paths.join('+');
      const count = (): void => { reads.set(label, (reads.get(label) ?? 0) + 1); };
      const counted: Layer = { ...inner, diffId: () => { count(); return inner.diffId(); }, open: () => { count(); return inner.open(); } };
      return keyed ? keyedLayer(counted, `sha256:${sha256Digest(Buffer.from(label)).slice(7)}`) : counted;
    });
    return {
      layers,
      rawConfig: async () => {
        const diffIds = [];
        for (const layer of layers) diffIds.push(await layer.diffId());
        return Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: diffIds } }));
      },
    };
  };

  it('repushes after one path is added reading only the changed layer, matched by content key', async () => {
    const tree = join(dir, 'keyed-tree');
    const reads = new Map<string, number>();
    const first = await pushImage(keyedImage(tree, [['aaa'], ['bbb'], ['ccc']], true, reads), [`${host}/strata/keyed:1`], cold());
    assert.equal(first.blobs.uploaded, 4);
    reads.clear();
    const again = await pushImage(keyedImage(tree, [['aaa'], ['bbb', 'ddd'], ['ccc']], true, reads), [`${host}/strata/keyed:1`], cold());
    assert.deepEqual(again.blobs, { uploaded: 2, mounted: 0, present: 2, reused: 2, reusedByKey: 2 });
    // The unchanged layers were never read; the changed one was (streamed while it uploaded).
    assert.deepEqual([...reads.keys()].sort(), ['bbb+ddd']);
    // The config names the remote diff_ids of the reused layers: the same as reading them gives.
    const { stdout } = await execa('skopeo', ['inspect', '--tls-verify=false', '--config', `docker://${host}/strata/keyed:1`]);
    const diffIds = (JSON.parse(stdout) as { rootfs: { diff_ids: string[] } }).rootfs.diff_ids;
    const fresh = keyedImage(tree, [['aaa'], ['bbb', 'ddd'], ['ccc']], false, new Map());
    assert.deepEqual(diffIds, await Promise.all(fresh.layers.map((layer) => layer.diffId())));
    const manifest = JSON.parse((await execa('skopeo', ['inspect', '--tls-verify=false', '--raw', `docker://${host}/strata/keyed:1`])).stdout) as { layers: Array<{ annotations?: Record<string, string> }> };
    assert.deepEqual(manifest.layers.map((layer) => layer.annotations?.['org.nix-strata.layer.key']),
      ['aaa', 'bbb+ddd', 'ccc'].map((label) => `sha256:${sha256Digest(Buffer.from(label)).slice(7)}`));
  });

  it('falls back to diff_id matching when the remote manifest has no content keys', async () => {
    const tree = join(dir, 'unkeyed-tree');
    const reads = new Map<string, number>();
    await pushImage(keyedImage(tree, [['eee'], ['fff']], false, reads), [`${host}/strata/unkeyed:1`], cold());
    reads.clear();
    const again = await pushImage(keyedImage(tree, [['eee'], ['fff']], true, reads), [`${host}/strata/unkeyed:1`], cold());
    // Matched by diff_id, so each layer was read once to hash it; the keys are recorded now.
    assert.deepEqual(again.blobs, { uploaded: 0, mounted: 0, present: 3, reused: 2, reusedByKey: 0 });
    assert.deepEqual([...reads.keys()].sort(), ['eee', 'fff']);
    reads.clear();
    const third = await pushImage(keyedImage(tree, [['eee'], ['fff']], true, reads), [`${host}/strata/unkeyed:1`], cold());
    assert.equal(third.blobs.reusedByKey, 2);
    assert.equal(reads.size, 0);
    assert.equal(third.digest, again.digest);
  });
});
