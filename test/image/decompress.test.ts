import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { execa } from 'execa';
import { decompressed, decompressedFile } from '../../src/image/decompress.ts';

const work = await mkdtemp(join(tmpdir(), 'strata-decompress-'));
after(() => rm(work, { recursive: true, force: true }));

const payload = 'layer bytes\n'.repeat(1000);
const zstdFile = join(work, 'blob.zst');
await writeFile(join(work, 'blob'), payload);
await execa('zstd', ['-q', '-o', zstdFile, join(work, 'blob')]);

test('a zstd file and a zstd stream decompress to the same bytes', async () => {
  assert.equal(await text(decompressedFile(zstdFile, 'zstd')), payload);
  assert.equal(await text(await decompressed(Readable.from([await readFile(zstdFile)]), 'blob')), payload);
});

test('a compressed file whose decompressor is missing fails with one line naming the file and the program', async () => {
  const saved = process.env.PATH;
  process.env.PATH = join(work, 'empty-path');
  try {
    await assert.rejects(text(decompressedFile(zstdFile, 'zstd')), { message: `${zstdFile}: is zstd-compressed, but the zstd program is not on PATH; install it` });
  } finally {
    process.env.PATH = saved;
  }
});
