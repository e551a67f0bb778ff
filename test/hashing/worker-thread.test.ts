// Prestarted workers (src/hashing/worker-thread.ts, steps/stream-threads.ts): startWorker hands
// out the one started ahead, once; the command line decides which are started.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { hasSpare, prestartWorker, startWorker, WORKER_OPTIONS } from '../../src/hashing/worker-thread.ts';
import { prestartStreamThreads } from '../../src/steps/stream-threads.ts';
import { CONTROL_BYTES, DIGEST_OFFSET, DONE } from '../../src/hashing/verify-protocol.ts';

// Takes (and stops) whatever spare `module` worker there is.
async function drain(module: string): Promise<void> {
  if (hasSpare(module)) await startWorker(WORKER_OPTIONS, module).terminate();
}

test('startWorker takes the prestarted worker once, then starts new ones', async () => {
  prestartWorker('hash-worker');
  assert.equal(hasSpare('hash-worker'), true);
  const first = startWorker(WORKER_OPTIONS, 'hash-worker');
  assert.equal(hasSpare('hash-worker'), false);
  const second = startWorker(WORKER_OPTIONS, 'hash-worker');
  assert.notEqual(first, second);
  // The prestarted one is a working hash worker: it answers a hashing round trip.
  const control = new SharedArrayBuffer(CONTROL_BYTES);
  first.postMessage({ id: 1, kind: 'verify-start', control });
  first.postMessage({ id: 1, kind: 'verify-end' });
  const words = new Int32Array(control, 0, 2);
  while (Atomics.load(words, DONE) !== 1) await Atomics.waitAsync(words, DONE, 0, 5000).value;
  assert.equal(Buffer.from(control, DIGEST_OFFSET, 32).toString('hex'), 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  await Promise.all([first.terminate(), second.terminate()]);
});

test('other worker options never get a spare', async () => {
  prestartWorker('hash-worker');
  const other = startWorker({}, 'hash-worker');
  assert.equal(hasSpare('hash-worker'), true);
  await Promise.all([other.terminate(), drain('hash-worker')]);
});

test('a stream of a conf prestarts the hashing worker; one of an archive, or help, none', async () => {
  const cores = process.env.NIX_BUILD_CORES;
  process.env.NIX_BUILD_CORES = '2';
  try {
    for (const [args, hashing] of [
      [['--conf', 'c.json', '--output', 'x.tar'], true],
      [['--conf=c.json', '-o', 'x.tar', '--compressor', 'zstd'], true],
      [['--conf', 'c.json'], true],
      [['--image', 'a.tar'], false],
      [['--help'], false],
    ] as const) {
      prestartStreamThreads(['node', 'nix-strata', 'stream', ...args]);
      assert.equal(hasSpare('hash-worker'), hashing, args.join(' '));
      // The conf's plan file sizes the layers: never a sizing thread ahead of need.
      assert.equal(hasSpare('plan-worker'), false, args.join(' '));
      await drain('hash-worker');
    }
    process.env.NIX_BUILD_CORES = '1';
    prestartStreamThreads(['node', 'nix-strata', 'stream', '--conf', 'c.json', '--output', 'x.tar']);
    assert.equal(hasSpare('hash-worker'), false, 'one core: no hashing thread');
  } finally {
    if (cores === undefined) delete process.env.NIX_BUILD_CORES;
    else process.env.NIX_BUILD_CORES = cores;
  }
});
