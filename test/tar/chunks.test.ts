import { strict as assert } from 'node:assert';
import { closeSync, mkdirSync, openSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { UserError } from '../../src/errors.ts';
import { ChunkBuffer, ChunkPool } from '../../src/tar/chunks.ts';
import { recycleChunk } from '../../src/tar/generator-readable.ts';
import { storeLayerStream } from '../../src/tar/store-layer.ts';
import { collect, tempDir } from './fixtures.ts';

function drain(chunks: Generator<Buffer>): Buffer[] {
  return [...chunks];
}

describe('ChunkBuffer', () => {
  it('cuts bytes into full chunks and pads content to blocks and the archive to 10240', () => {
    const out = new ChunkBuffer(1000);
    const emitted = [...drain(out.put(Buffer.alloc(2500, 1))), ...drain(out.zeros(12)), ...drain(out.end())];
    assert.deepEqual(emitted.map((chunk) => chunk.length), [1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 240]);
    assert.equal(out.offset, 10240);
    const all = Buffer.concat(emitted);
    assert.ok(all.subarray(0, 2500).every((byte) => byte === 1));
    assert.ok(all.subarray(2500).every((byte) => byte === 0));
  });

  it('fails when a file is shorter than the size announced in its header (it shrank)', () => {
    const dir = tempDir();
    const file = join(dir.path, 'f');
    writeFileSync(file, 'abc');
    const fd = openSync(file, 'r');
    try {
      const out = new ChunkBuffer(8);
      assert.throws(() => drain(out.fileContent(fd, 10, { diskPath: file, label: '/nix/store/x/f' })), (error: unknown) => {
        assert.ok(error instanceof UserError);
        assert.match(error.message, /^\/nix\/store\/x\/f changed size while being archived \(stat said 10 bytes, only 3 bytes could be read\)/);
        return true;
      });
    } finally {
      closeSync(fd);
      dir.cleanup();
    }
  });

  it('fails when a file is longer than announced (it grew)', () => {
    const dir = tempDir();
    const file = join(dir.path, 'f');
    writeFileSync(file, 'abcdef');
    const fd = openSync(file, 'r');
    try {
      assert.throws(() => drain(new ChunkBuffer().fileContent(fd, 4, { diskPath: file, label: 'f' })), /f changed size .*it has more bytes now/);
    } finally {
      closeSync(fd);
      dir.cleanup();
    }
  });
});

describe('ChunkPool', () => {
  it('refills chunks handed back, and never a partial or duplicate one', () => {
    const pool = new ChunkPool(4);
    const first = pool.take(1024);
    pool.give(first);
    pool.give(first);
    pool.give(first.subarray(0, 512));
    assert.equal(pool.take(1024), first, 'the chunk handed back is reused');
    assert.notEqual(pool.take(1024), first, 'it was handed out once only');
  });

  it('gives the same layer bytes when the consumer recycles every chunk it is done with', async () => {
    const dir = tempDir();
    try {
      mkdirSync(join(dir.path, 'nix/store/x-tree/sub'), { recursive: true });
      for (let i = 0; i < 40; i++) writeFileSync(join(dir.path, `nix/store/x-tree/sub/f${i}`), Buffer.alloc(3000 + i * 997, i));
      const options = { uid: 0, gid: 0, uname: 'root', gname: 'root', mtime: 1, root: dir.path, chunkSize: 4096 };
      const plain = await collect(storeLayerStream(['/nix/store/x-tree'], options));
      const source = storeLayerStream(['/nix/store/x-tree'], options);
      const copies: Buffer[] = [];
      const seen = new Set<ArrayBufferLike>();
      for await (const chunk of source) {
        copies.push(Buffer.from(chunk as Buffer));
        seen.add((chunk as Buffer).buffer);
        recycleChunk(source, chunk as Buffer);
      }
      assert.ok(Buffer.concat(copies).equals(plain));
      assert.ok(seen.size < copies.length / 4, `chunks were reused (${seen.size} buffers for ${copies.length} chunks)`);
    } finally {
      dir.cleanup();
    }
  });
});
