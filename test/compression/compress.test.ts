// Reproducible compressed layers (issue 11 §2): one tar compressed on one thread and on every
// core gives one digest, and the real gzip / zstd decompress it back to the tar.
import assert from 'node:assert/strict';
import { availableParallelism } from 'node:os';
import { test } from 'node:test';
import { execa } from 'execa';
import { compressBlob, type BlobCompression } from '../../src/compression/compress.ts';
import { GZIP_BLOCK_SIZE } from '../../src/compression/gzip-blocks.ts';
import { sha256Digest } from '../../src/digest/digest.ts';

/** Seeded, partly compressible bytes in uneven chunks (what a tar stream looks like to a sink). */
function sample(size: number, seed: number): Buffer[] {
  const bytes = Buffer.alloc(size);
  let state = seed;
  for (let i = 0; i < size; i++) {
    state = (state * 1103515245 + 12345) >>> 0;
    // Runs of text and of noise: deflate finds matches across block boundaries.
    bytes[i] = (i >> 12) % 3 === 0 ? state >>> 24 : 97 + ((i * 7 + (state >>> 29)) % 26);
  }
  const chunks: Buffer[] = [];
  for (let offset = 0, n = 0; offset < size; n++) {
    const length = Math.min(size - offset, 1000 + ((n * 7919) % 300_000));
    chunks.push(bytes.subarray(offset, offset + length));
    offset += length;
  }
  return chunks;
}

async function* from(chunks: readonly Buffer[]): AsyncGenerator<Buffer> {
  for (const chunk of chunks) yield chunk;
}

async function compress(chunks: readonly Buffer[], kind: BlobCompression, concurrency: number) {
  const blob = compressBlob(from(chunks), kind, concurrency);
  const parts: Buffer[] = [];
  for await (const chunk of blob.chunks) parts.push(Buffer.from(chunk));
  const bytes = Buffer.concat(parts);
  return { bytes, ...blob.result() };
}

const decompressor: Record<Exclude<BlobCompression, 'none'>, string[]> = { gzip: ['gzip', '-dc'], zstd: ['zstd', '-dcq'] };

for (const kind of ['gzip', 'zstd'] as const) {
  // Sizes: empty, below a block, exactly two blocks, and several blocks plus a tail.
  for (const size of [0, 12_345, 2 * GZIP_BLOCK_SIZE, 5 * GZIP_BLOCK_SIZE + 777]) {
    test(`${kind}, ${size} bytes: one digest on 1 thread and on ${Math.max(4, availableParallelism())}; decompresses to the input`, async () => {
      const input = sample(size, size + 1);
      const one = await compress(input, kind, 1);
      const many = await compress(input, kind, Math.max(4, availableParallelism()));
      assert.equal(many.digest, one.digest);
      assert.equal(one.digest, sha256Digest(one.bytes));
      assert.equal(one.size, one.bytes.length);
      const [command, ...args] = decompressor[kind];
      const plain = await execa(command!, args, { input: one.bytes, encoding: 'buffer', stripFinalNewline: false });
      assert.ok(Buffer.from(plain.stdout).equals(Buffer.concat(input)), `${command} -d gives back the input`);
      if (size > 0) assert.ok(one.size < size, 'compressed smaller than the input');
    });
  }
}

test('gzip bytes are pinned: a change of block size, level or header shows here', async () => {
  // If this fails, every pushed layer digest changes: treat it as a format change (bump the version).
  const { digest, bytes } = await compress(sample(3 * GZIP_BLOCK_SIZE + 5, 7), 'gzip', 2);
  assert.deepEqual([...bytes.subarray(0, 10)], [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3]);
  assert.equal(digest, 'sha256:be16a534a81fa92bc606c51d651db768f256d4e91c3505347319ffb7df28f493');
});

test('none passes the bytes through and counts them', async () => {
  const input = sample(70_000, 3);
  const { bytes, digest, size } = await compress(input, 'none', 2);
  assert.ok(bytes.equals(Buffer.concat(input)));
  assert.equal(size, 70_000);
  assert.equal(digest, sha256Digest(Buffer.concat(input)));
});

test('result() before the end is a programming error', () => {
  assert.throws(() => compressBlob(from([]), 'gzip', 1).result(), /before the blob was read/);
});
