import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, writeFile, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cacheKeyName, defaultCacheDirectory, openDigestCache, type LayerKey } from '../../src/cache/digest-cache.ts';
import { sha256Digest } from '../../src/digest/digest.ts';

const key: LayerKey = {
  paths: [{ path: '/nix/store/aaaa-a', narHash: 'sha256:1111' }, { path: '/nix/store/bbbb-b', narHash: 'sha256:2222' }],
  owner: { uid: 0, gid: 0, uname: 'root', gname: 'root' },
  mtime: 1,
  storeDir: '/nix/store',
};

test('a stored digest is found again under the same key', async () => {
  const cache = openDigestCache(await mkdtemp(join(tmpdir(), 'strata-cache-')));
  const value = { digest: sha256Digest('layer'), size: 10240 };
  assert.equal(await cache.get(key), undefined);
  await cache.put(key, value);
  assert.deepEqual(await cache.get(key), value);
});

test('every input of the layer bytes changes the key', () => {
  const base = cacheKeyName(key);
  const variants: LayerKey[] = [
    { ...key, paths: [...key.paths].reverse() },
    { ...key, paths: [{ ...key.paths[0]!, narHash: 'sha256:9999' }, key.paths[1]!] },
    { ...key, owner: { ...key.owner, uid: 1000 } },
    { ...key, owner: { ...key.owner, uname: 'user' } },
    { ...key, mtime: 2 },
    { ...key, storeDir: '/gnu/store' },
  ];
  for (const variant of variants) assert.notEqual(cacheKeyName(variant), base, JSON.stringify(variant));
  assert.equal(cacheKeyName({ ...key, owner: { gname: 'root', uname: 'root', gid: 0, uid: 0 } }), base, 'key order does not matter');
});

test('a torn entry is a miss, not an error', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'strata-cache-'));
  const cache = openDigestCache(dir);
  await cache.put(key, { digest: sha256Digest('x'), size: 1 });
  const [shard] = await readdir(dir);
  const [file] = await readdir(join(dir, shard!));
  await writeFile(join(dir, shard!, file!), '{"digest": "sha256:');
  assert.equal(await cache.get(key), undefined);
});

test('the cache directory follows NIX_STRATA_CACHE, and is off inside Nix builds without a shared cache', async () => {
  const absent = '/nonexistent/nix-strata-cache';
  const shared = await mkdtemp(join(tmpdir(), 'strata-shared-'));
  assert.equal(await defaultCacheDirectory({ NIX_STRATA_CACHE: '/x/y' }, shared), '/x/y');
  assert.equal(await defaultCacheDirectory({ NIX_STRATA_CACHE: '' }, shared), undefined);
  assert.equal(await defaultCacheDirectory({ NIX_BUILD_TOP: '/build' }, shared), shared);
  assert.equal(await defaultCacheDirectory({ NIX_BUILD_TOP: '/build' }, absent), undefined);
  assert.equal(await defaultCacheDirectory({ HOME: '/home/u', XDG_CACHE_HOME: '/c' }, absent), '/c/nix-strata/digests');
});
