import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { splitHashing } from '../../src/hashing/split-hashing.ts';
import type { ChunkHasher, ChunkVerifier } from '../../src/sources/store-paths.ts';
import { VerifyHasher } from '../../src/hashing/verify-hasher.ts';

// A worker stand-in that records the sizes it was given and hashes on this thread.
function recordingWorker(): ChunkVerifier & { sizes: number[] } {
  const sizes: number[] = [];
  return {
    sizes,
    start(size?: number): ChunkHasher {
      sizes.push(size ?? -1);
      const hash = createHash('sha256');
      let length = 0;
      const identity = () => ({ digest: `sha256:${hash.copy().digest('hex')}` as const, size: length });
      return {
        update(chunk) { hash.update(chunk); length += chunk.length; },
        digest: identity as ChunkHasher['digest'],
        digestLater: async () => identity() as ReturnType<ChunkHasher['digest']>,
      };
    },
  };
}

test('splitHashing gives the worker layers up to its share of the bytes, the rest to this thread', () => {
  const worker = recordingWorker();
  const split = splitHashing(worker, 0.5);
  for (const size of [100, 100, 300, 50, 50, 400]) split.start(size);
  // Here 100 (the worker would hold all of 100), worker 100 (half of 200), here 300 (400 of 500
  // would be over half), worker 50 and 50 (150 of 550, 200 of 600), here 400 (600 of 1000).
  assert.deepEqual(worker.sizes, [100, 50, 50]);
});

test('splitHashing with share 0 or 1 keeps every layer on one side', () => {
  const none = recordingWorker();
  const all = recordingWorker();
  for (const size of [10, 20, 30]) {
    splitHashing(none, 0).start(size);
  }
  const everything = splitHashing(all, 1);
  for (const size of [10, 20, 30]) everything.start(size);
  assert.deepEqual(none.sizes, []);
  assert.deepEqual(all.sizes, [10, 20, 30]);
});

test('a layer hashed on either side gets the same digest as the worker gives', async () => {
  const bytes = Buffer.alloc(3 * 256 * 1024 + 17, 7);
  const expected = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
  const thread = new VerifyHasher();
  try {
    const split = splitHashing(thread, 0.5);
    // The first stays on this thread, the second goes to the worker: both must agree.
    for (const hasher of [split.start(bytes.length), split.start(bytes.length)]) {
      hasher.update(bytes.subarray(0, 1000));
      hasher.update(bytes.subarray(1000));
      assert.deepEqual(await hasher.digestLater(), { digest: expected, size: bytes.length });
    }
  } finally {
    await thread.close();
  }
});
