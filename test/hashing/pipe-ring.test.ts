// PipeRing (src/hashing/pipe-ring.ts): the shared slots the piped stream's chunks live in.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FREED, slotWord } from '../../src/hashing/pipe-protocol.ts';
import { PIPE_SLOT_BYTES, PIPE_SLOTS, PipeRing } from '../../src/hashing/pipe-ring.ts';

// What the writing worker does once it has written a slot (hash-worker.ts).
function free(ring: PipeRing, slot: number): void {
  Atomics.store(ring.words, slotWord(slot), 0);
  Atomics.add(ring.words, FREED, 1);
  Atomics.notify(ring.words, FREED);
}

test('chunks are slots until all are taken, then ordinary buffers; a slot is found again by its chunk', () => {
  const ring = new PipeRing();
  const taken = Array.from({ length: PIPE_SLOTS }, () => ring.take(PIPE_SLOT_BYTES));
  const slots = taken.map((chunk) => ring.locate(chunk)?.slot);
  assert.deepEqual([...slots].sort((a, b) => a! - b!), Array.from({ length: PIPE_SLOTS }, (_, slot) => slot));
  // A partial last chunk is found at its slot too.
  assert.deepEqual(ring.locate(taken[3]!.subarray(0, 100)), { slot: slots[3], offset: slots[3]! * PIPE_SLOT_BYTES });
  const spare = ring.take(PIPE_SLOT_BYTES);
  assert.equal(spare.length, PIPE_SLOT_BYTES);
  assert.equal(ring.locate(spare), undefined, 'the ring is full: an ordinary buffer');
  // Another size is never a slot (tests lower the chunk size).
  free(ring, slots[0]!);
  assert.equal(ring.locate(ring.take(1000)), undefined);
  assert.equal(ring.locate(ring.take(PIPE_SLOT_BYTES))?.slot, slots[0]);
});

test('whenReady waits, without blocking, until the writer has freed two slots', async () => {
  const ring = new PipeRing();
  const slots = Array.from({ length: PIPE_SLOTS - 1 }, () => ring.takeSlot()!);
  assert.notEqual(ring.whenReady(), undefined, 'one slot free is not enough for a generator step');
  let ready = false;
  const waiting = ring.whenReady()!.then(() => {
    ready = true;
  });
  await new Promise((resolve) => setTimeout(resolve, 20));
  assert.equal(ready, false);
  setTimeout(() => free(ring, slots[5]!), 10);
  await waiting;
  assert.equal(ready, true);
  assert.equal(ring.whenReady(), undefined);
});

test('abandoned (the writer is gone), the ring stops every wait and hands out ordinary buffers', async () => {
  const ring = new PipeRing();
  while (ring.takeSlot() !== undefined);
  const waiting = ring.waitForFree(2);
  ring.abandon();
  await waiting;
  assert.equal(ring.whenReady(), undefined);
  assert.equal(ring.waitBriefly(1000), true);
  assert.equal(ring.locate(ring.take(PIPE_SLOT_BYTES)), undefined);
});
