// The faults of issue 11 (deliverable 7) against Debian's docker-registry on 127.0.0.1, behind
// a fault-injecting proxy or killed outright: each push that fails does so with one line, and
// leaves no tag naming an incomplete image; transient faults are retried; a push cut off by a
// killed registry is completed by the next one, which sends only what is missing. A registry
// on a 1 MB tmpfs answers a full disk as distribution does (500, "no space left on device").
import assert from 'node:assert/strict';
import { execa } from 'execa';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pushImage, type PushOptions } from '../../src/sinks/registry.ts';
import { startFaultProxy, isBlobClose, type FaultProxy } from '../registry/fault-proxy.ts';
import { bigImage, testImage } from '../registry/push-fixture.ts';
import { freePort, startLocalRegistry, type LocalRegistry } from './local-registry.ts';
import { dockerPullRun, skopeoInspect, skopeoInspectFails } from './pushed-image.ts';

/** The push fails with one UserError line of `code` matching `pattern`. */
async function failsWith(push: Promise<unknown>, code: string, pattern: RegExp): Promise<string> {
  let message = '';
  await assert.rejects(push, (error: Error & { code?: string }) => {
    assert.equal(error.name, 'UserError', error.stack);
    assert.equal(error.code, code, error.message);
    assert.ok(!error.message.includes('\n'), error.message);
    assert.match(error.message, pattern);
    message = error.message;
    return true;
  });
  return message;
}

describe('pushing through faults', { timeout: 240_000 }, () => {
  let dir: string;
  let registry: LocalRegistry;
  let proxy: FaultProxy;
  let host: string;
  let pushes = 0;
  // Fast retries, a cache of its own per test (`cache` names it), no credentials.
  const options = (cache = `cache-${pushes++}`): PushOptions => ({
    env: { HOME: join(dir, 'home') }, home: join(dir, 'home'), blobInfoCache: join(dir, cache),
    retry: { attempts: 3, firstDelayMs: 20 }, concurrency: 1,
  });

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'nix-strata-e2e-push-faults-'));
    registry = await startLocalRegistry(dir);
    proxy = await startFaultProxy(registry.address);
    host = proxy.address;
  });
  after(async () => {
    await proxy?.close();
    await registry?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('retries a connection reset and a 503, then completes', async () => {
    let reset = false;
    let unavailable = false;
    proxy.fault = (request) => {
      if (!reset && request.method === 'PATCH') return (reset = true, { kind: 'reset' });
      if (!unavailable && request.method === 'PUT' && request.url?.includes('/manifests/')) return (unavailable = true, { kind: 'status', status: 503 });
      return undefined;
    };
    const result = await pushImage(testImage('retried'), [`${host}/faults/retried:1`], options());
    assert.ok(reset && unavailable, 'both faults were injected');
    assert.equal(proxy.requests.filter((r) => r.method === 'PUT' && r.url.includes('/manifests/')).length, 2, 'the manifest PUT was sent twice');
    assert.equal((await skopeoInspect(`${host}/faults/retried:1`)).Digest, result.digest);
  });

  it('gives up on 5xx answers after a bounded number of attempts, without a tag', async () => {
    const seen = proxy.requests.length;
    proxy.fault = (request) => request.method === 'PUT' && request.url?.includes('/manifests/') ? { kind: 'status', status: 502 } : undefined;
    await failsWith(pushImage(testImage('bad-gateway'), [`${host}/faults/gateway:1`], options()), 'registry-http',
      /^manifest for 127\.0\.0\.1:\d+\/faults\/gateway:1: HTTP 502 from http:\/\/127\.0\.0\.1:\d+ \(UNAVAILABLE: injected fault\) \(after 3 attempts\)$/);
    assert.equal(proxy.requests.slice(seen).filter((r) => r.method === 'PUT' && r.url.includes('/manifests/1')).length, 3);
    proxy.fault = () => undefined;
    assert.match(await skopeoInspectFails(`${host}/faults/gateway:1`), /manifest unknown/);
  });

  it('fails when the registry answers another digest for an uploaded blob', async () => {
    proxy.fault = (request) => isBlobClose(request) ? { kind: 'wrong-digest' } : undefined;
    await failsWith(pushImage(testImage('mangled'), [`${host}/faults/mangled:1`], options()), 'registry-digest-mismatch',
      /^layer 1\/3 for 127\.0\.0\.1:\d+\/faults\/mangled: the registry stored sha256:0{64} for what nix-strata sent as sha256:[0-9a-f]{64}; .*no tag was changed/);
    proxy.fault = () => undefined;
    assert.match(await skopeoInspectFails(`${host}/faults/mangled:1`), /manifest unknown/);
  });

  it('explains a 403', async () => {
    proxy.fault = (request) => request.method === 'POST' ? { kind: 'status', status: 403, body: '{"errors":[{"code":"DENIED","message":"requested access to the resource is denied"}]}' } : undefined;
    await failsWith(pushImage(testImage('denied'), [`${host}/faults/denied:1`], options()), 'registry-auth',
      /: access denied \(HTTP 403, DENIED: requested access to the resource is denied\); the repository may be private or misspelt: log in with `docker login 127\.0\.0\.1:\d+`/);
    proxy.fault = () => undefined;
  });

  it('completes a push cut off by a killed registry, sending only the blobs it lacks', async () => {
    const image = testImage('killed', { extraLayers: 2 });
    const before = registry.blobUploads('faults/killed');
    let closes = 0;
    proxy.fault = (request) => {
      if (isBlobClose(request)) closes++;
      // Two layers are stored; the registry dies as the third starts.
      if (closes === 2 && request.method === 'PATCH') return { kind: 'before', run: () => registry.kill() };
      return undefined;
    };
    await failsWith(pushImage(image, [`${host}/faults/killed:1`], options('cache-killed')), 'registry-unreachable',
      /^layer 3\/5 for 127\.0\.0\.1:\d+\/faults\/killed: cannot reach http:\/\/127\.0\.0\.1:\d+: ECONNRESET; check the network connection \(after 3 attempts\)$/);
    assert.equal(registry.blobUploads('faults/killed') - before, 2);
    proxy.fault = () => undefined;
    await registry.restart();
    assert.match(await skopeoInspectFails(`${host}/faults/killed:1`), /manifest unknown/);

    const result = await pushImage(image, [`${host}/faults/killed:1`], options('cache-killed'));
    // Three layers and the config were missing.
    assert.equal(registry.blobUploads('faults/killed') - before, 2 + 4);
    assert.equal(result.blobs.present, 2);
    assert.equal(await dockerPullRun(`${registry.address}/faults/killed:1`, result.digest), 'pushed killed');
  });

  it('explains an unreachable registry and a malformed reference', async () => {
    const port = await freePort();
    // Never reached in this push: a wrong address, said at once rather than after the retries.
    const nowhere = await failsWith(pushImage(testImage('nowhere'), [`127.0.0.1:${port}/faults/nowhere:1`], options()), 'registry-unreachable',
      new RegExp(`: cannot reach https?://127\\.0\\.0\\.1:${port}: connection refused; check the registry address and port and that the registry is running$`));
    assert.ok(!nowhere.includes('attempts'), nowhere);
    await failsWith(pushImage(testImage('bad'), [`${host}/Faults/Upper:1`], options()), 'bad-reference',
      /^destination "127\.0\.0\.1:\d+\/Faults\/Upper:1": bad repository component "Faults" .*; expected host\[:port\]\/repository\[:tag\], e\.g\. localhost:5000\/app:1$/);
  });
});

describe('pushing to a registry whose disk is full', { timeout: 120_000 }, () => {
  let dir: string;
  let storage: string;
  let registry: LocalRegistry | undefined;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'nix-strata-e2e-push-full-'));
    storage = join(dir, 'storage');
    await mkdir(storage);
    await execa('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', storage]);
    registry = await startLocalRegistry(dir, undefined, { storage });
  });
  after(async () => {
    await registry?.stop();
    await execa('umount', [storage], { reject: false });
    await rm(dir, { recursive: true, force: true });
  });

  it('says the registry storage is full, at once (no retries), without a tag', async () => {
    const address = registry!.address;
    const message = await failsWith(pushImage(bigImage(3_000_000), [`${address}/full/app:1`], { blobInfoCache: false, env: {}, home: dir, retry: { attempts: 3, firstDelayMs: 20 } }),
      'registry-storage-full', /^layer 1\/1 for 127\.0\.0\.1:\d+\/full\/app: the registry's storage is full \(HTTP 500, UNKNOWN: unknown error: .*no space left on device\); free space on the registry/);
    assert.ok(!message.includes('attempts'), message);
    assert.match(await skopeoInspectFails(`${address}/full/app:1`), /manifest unknown/);
  });
});
