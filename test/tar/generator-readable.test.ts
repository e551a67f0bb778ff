// GeneratorReadable (src/tar/generator-readable.ts): a chunk generator as a Readable.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ChunkSupply } from '../../src/tar/chunks.ts';
import { GeneratorReadable } from '../../src/tar/generator-readable.ts';

function* chunksOf(chunks: readonly Buffer[]): Generator<Buffer> {
  yield* chunks;
}

test('with a supply that makes it wait, every chunk comes out as the very buffer the generator gave', async () => {
  // Shared slots (hashing/pipe-ring.ts) are found again by their buffer: a chunk merged with
  // the next into a new buffer would leave both slots taken for good. A byte stream merges
  // when a read finds one chunk buffered (after a wait) and pulls the next synchronously.
  let calls = 0;
  const supply: ChunkSupply = {
    take: (size) => Buffer.alloc(size),
    give: () => undefined,
    whenReady: () => (calls++ % 2 === 0 ? new Promise<void>((resolve) => setTimeout(resolve, 1)) : undefined),
  };
  const given = Array.from({ length: 12 }, (_, index) => Buffer.alloc(1000, index));
  const received: Buffer[] = [];
  for await (const chunk of new GeneratorReadable(chunksOf(given), supply)) received.push(chunk as Buffer);
  assert.equal(received.length, given.length);
  received.forEach((chunk, index) => assert.equal(chunk, given[index], `chunk ${index} is the generator's own buffer`));
  assert.ok(calls >= given.length, 'the supply was asked before every step');
});

test('without a supply, the bytes are those of the generator, in order', async () => {
  const given = Array.from({ length: 5 }, (_, index) => Buffer.alloc(300, index));
  const received: Buffer[] = [];
  for await (const chunk of new GeneratorReadable(chunksOf(given))) received.push(chunk as Buffer);
  assert.ok(Buffer.concat(received).equals(Buffer.concat(given)));
});
