import { strict as assert } from 'node:assert';
import { accessSync, closeSync, constants, ftruncateSync, mkdirSync, mkdtempSync, openSync, rmSync, statSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { BLOCK_SIZE, RECORD_SIZE, encodeHeader } from '../../src/tar/header.ts';
import { storeLayerStream } from '../../src/tar/store-layer.ts';
import { ROOT_OWNER } from './fixtures.ts';

// A sparse file just over 8 GiB: its size no longer fits the ustar size field (11 octal digits),
// so the header needs a pax `size` record, and its content crosses 8 GiB worth of chunks.
const SIZE = 8 * 2 ** 30 + 4099;
const TAIL = Buffer.from('tail of the big file\n');
const STORE_PATH = '/nix/store/22222222222222222222222222222222-big';

// On tmpfs a hole reads as the shared zero page; on a disk file system every hole page read is
// allocated in the page cache first, which makes this test take 20 s instead of 3.
function sparseFriendlyDir(): { path: string; cleanup: () => void } {
  let base = tmpdir();
  try {
    accessSync('/dev/shm', constants.W_OK);
    base = '/dev/shm';
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT' && (error as NodeJS.ErrnoException).code !== 'EACCES') throw error;
  }
  const path = mkdtempSync(join(base, 'nix-strata-test-'));
  return { path, cleanup: () => rmSync(path, { recursive: true, force: true }) };
}

describe('store layer of a file over 8 GiB (sparse)', () => {
  const tree = sparseFriendlyDir();
  let fileMode = 0;
  let dirMode = 0;
  before(() => {
    const dir = join(tree.path, STORE_PATH);
    mkdirSync(dir, { recursive: true });
    const fd = openSync(join(dir, 'sparse'), 'w');
    try {
      ftruncateSync(fd, SIZE);
      // Some non-zero bytes at the very end, so a wrong offset past 8 GiB shows.
      writeSync(fd, TAIL, 0, TAIL.length, SIZE - TAIL.length);
    } finally {
      closeSync(fd);
    }
    fileMode = statSync(join(dir, 'sparse')).mode & 0o7777;
    dirMode = statSync(dir).mode & 0o7777;
  });
  after(() => tree.cleanup());

  it('streams exactly the bytes computed independently, in bounded memory', async () => {
    // The expected layer, from the reference header encoder: headers, the file (zeros, then
    // TAIL), block padding, end of archive. Compared piecewise, never held whole.
    const headers = Buffer.concat([
      encodeHeader({ ...ROOT_OWNER, name: '/nix/', type: 'directory', mode: 0o755, size: 0 }),
      encodeHeader({ ...ROOT_OWNER, name: '/nix/store/', type: 'directory', mode: 0o755, size: 0 }),
      encodeHeader({ ...ROOT_OWNER, name: STORE_PATH, type: 'directory', mode: dirMode, size: 0 }),
      encodeHeader({ ...ROOT_OWNER, name: `${STORE_PATH}/sparse`, type: 'file', mode: fileMode, size: SIZE }),
    ]);
    assert.ok(headers.includes(Buffer.from(` size=${SIZE}\n`)), 'the file header carries a pax size record');
    const contentEnd = headers.length + SIZE;
    const paddedEnd = contentEnd + ((BLOCK_SIZE - (SIZE % BLOCK_SIZE)) % BLOCK_SIZE);
    const afterBlocks = paddedEnd + 2 * BLOCK_SIZE;
    const total = afterBlocks + ((RECORD_SIZE - (afterBlocks % RECORD_SIZE)) % RECORD_SIZE);

    // The expected bytes at archive offsets [offset, offset + length).
    const zeros = Buffer.alloc(1 << 20);
    const expectedSlice = (offset: number, length: number): Buffer => {
      const parts: Buffer[] = [];
      let at = offset;
      const end = offset + length;
      while (at < end) {
        if (at < headers.length) {
          const take = Math.min(end, headers.length) - at;
          parts.push(headers.subarray(at, at + take));
          at += take;
        } else if (at < contentEnd - TAIL.length) {
          const take = Math.min(end, contentEnd - TAIL.length, at + zeros.length) - at;
          parts.push(zeros.subarray(0, take));
          at += take;
        } else if (at < contentEnd) {
          const from = at - (contentEnd - TAIL.length);
          const take = Math.min(end, contentEnd) - at;
          parts.push(TAIL.subarray(from, from + take));
          at += take;
        } else {
          const take = Math.min(end, at + zeros.length) - at;
          parts.push(zeros.subarray(0, take));
          at += take;
        }
      }
      return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
    };

    const baseline = process.memoryUsage().rss;
    let peak = baseline;
    let offset = 0;
    let chunks = 0;
    for await (const chunk of storeLayerStream([STORE_PATH], { ...ROOT_OWNER, root: tree.path })) {
      const bytes = chunk as Buffer;
      assert.ok(offset + bytes.length <= total, `the layer is longer than the expected ${total} bytes`);
      if (!bytes.equals(expectedSlice(offset, bytes.length))) {
        assert.fail(`bytes differ in the chunk at offset ${offset}`);
      }
      offset += bytes.length;
      if (++chunks % 256 === 0) peak = Math.max(peak, process.memoryUsage().rss);
    }
    assert.equal(offset, total);
    // Constant memory: the whole file passes through in 1 MiB chunks, none kept.
    const growth = (peak - baseline) / 2 ** 20;
    assert.ok(growth < 100, `RSS grew by ${growth.toFixed(0)} MiB while streaming an 8 GiB file`);
  });
});
