import { strict as assert } from 'node:assert';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { DigestCache, LayerDigest, LayerKey } from '../../src/cache/digest-cache.ts';
import { cacheKeyName } from '../../src/cache/digest-cache.ts';
import { hashStoreLayers } from '../../src/build/hash-layers.ts';
import { HashPool, buildCores } from '../../src/build/hash-pool.ts';
import { UserError } from '../../src/errors.ts';
import { silentLogger } from '../../src/log.ts';
import { storeLayerDigest } from '../../src/tar/store-layer.ts';
import { ROOT_OWNER, tempDir } from '../tar/fixtures.ts';

function memoryCache(initial: Map<string, LayerDigest> = new Map()): DigestCache & { puts: number } {
  const cache = {
    location: 'memory',
    puts: 0,
    async get(key: LayerKey) {
      return initial.get(cacheKeyName(key));
    },
    async put(key: LayerKey, value: LayerDigest) {
      cache.puts += 1;
      initial.set(cacheKeyName(key), value);
    },
  };
  return cache;
}

describe('hashStoreLayers', () => {
  const tree = tempDir();
  const paths: string[] = [];
  before(() => {
    // Layers of different sizes, so workers finish out of order.
    for (let i = 0; i < 6; i++) {
      const dir = join(tree.path, `p${i}`);
      mkdirSync(join(dir, 'sub'), { recursive: true });
      writeFileSync(join(dir, 'sub', 'data'), Buffer.alloc((6 - i) * 300_000, i + 1));
      writeFileSync(join(dir, 'small'), `layer ${i}\n`);
      paths.push(dir);
    }
  });
  after(() => tree.cleanup());

  const { mtime, ...owner } = ROOT_OWNER;
  const keyOf = (path: string): LayerKey => ({ paths: [{ path, narHash: `sha256-${path}` }], owner, mtime, storeDir: '/nix/store' });

  it('hashes misses on worker threads, in key order, equal to the in-process digest', async () => {
    const cache = memoryCache();
    const keys = paths.map(keyOf);
    const digests = await hashStoreLayers(keys, { cache, log: silentLogger, threads: 3 });
    assert.deepEqual(digests, paths.map((path) => storeLayerDigest([path], ROOT_OWNER)));
    assert.equal(cache.puts, paths.length);
  });

  it('takes hits from the cache and hashes only the misses', async () => {
    const cache = memoryCache();
    const keys = paths.map(keyOf);
    const first = await hashStoreLayers(keys, { cache, log: silentLogger, threads: 2 });
    const fresh = join(tree.path, 'fresh');
    mkdirSync(fresh);
    writeFileSync(join(fresh, 'f'), 'new\n');
    const second = await hashStoreLayers([...keys.slice(0, 3), keyOf(fresh), ...keys.slice(3)], { cache, log: silentLogger, threads: 2 });
    assert.equal(cache.puts, paths.length + 1, 'only the new layer was hashed');
    assert.deepEqual(second, [...first.slice(0, 3), storeLayerDigest([fresh], ROOT_OWNER), ...first.slice(3)]);
  });

  it('hashes small misses with known NAR sizes on the main thread, and large or unknown ones on workers', async () => {
    const keys = paths.map(keyOf);
    const lines: string[] = [];
    const log = { info: (line: string) => lines.push(line), progress() {} };
    const small = await hashStoreLayers(keys, { cache: memoryCache(), log, threads: 2, narSizes: keys.map(() => 2_000_000) });
    assert.deepEqual(small, paths.map((path) => storeLayerDigest([path], ROOT_OWNER)));
    assert.match(lines.at(-1)!, /hashed 6 on the main thread/);
    await hashStoreLayers(keys, { cache: memoryCache(), log, threads: 2, narSizes: keys.map((_, i) => (i === 0 ? 0 : 1000)) });
    assert.match(lines.at(-1)!, /hashed 6 on 2 threads/, 'a size of 0 is unknown: workers');
    await hashStoreLayers(keys, { cache: memoryCache(), log, threads: 2, narSizes: keys.map(() => 3 * 1024 * 1024) });
    assert.match(lines.at(-1)!, /hashed 6 on 2 threads/, 'over INLINE_HASH_BYTES in total: workers');
  });

  it('reports a worker-side user error as a UserError', async () => {
    await assert.rejects(
      hashStoreLayers([keyOf(join(tree.path, 'missing'))], { cache: memoryCache(), log: silentLogger, threads: 1 }),
      (error: unknown) => error instanceof UserError && error.code === 'missing-store-path' && error.message.includes('missing'),
    );
  });
});

describe('HashPool', () => {
  it('uses NIX_BUILD_CORES, all cores when it is 0 or unset', () => {
    assert.equal(buildCores({ NIX_BUILD_CORES: '3' }), 3);
    assert.ok(buildCores({ NIX_BUILD_CORES: '0' }) >= 1);
    assert.equal(buildCores({ NIX_BUILD_CORES: '0' }), buildCores({}));
  });

  it('refuses work after close', async () => {
    const pool = new HashPool(1);
    await pool.close();
    await assert.rejects(pool.hash(['/nix/store/x'], ROOT_OWNER), /after close/);
  });
});
