import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import { headerSize, tarEntryBytes } from '../../src/build-image/tar-entries.ts';
import { encodeGnuHeader } from '../../src/tar/gnu-header.ts';
import { endOfArchive, paddingFor } from '../../src/tar/header.ts';

async function collect(source: AsyncIterable<Buffer>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of source) chunks.push(chunk);
  return Buffer.concat(chunks);
}

// Entries whose content is 1024 zero bytes (two "end" blocks inside the data), a long name
// (an L LongLink entry) and a directory, then the end of the archive.
function sample(): { entries: Buffer; whole: Buffer } {
  const zeros = Buffer.alloc(1024);
  const parts = [
    encodeGnuHeader({ name: Buffer.from('./'), type: 'directory', mode: 0o755, uid: 0, gid: 0, size: 0, mtime: 1 }),
    encodeGnuHeader({ name: Buffer.from('./zeros'), type: 'file', mode: 0o644, uid: 0, gid: 0, size: zeros.length, mtime: 1 }),
    zeros,
    encodeGnuHeader({ name: Buffer.from(`./${'n'.repeat(150)}`), type: 'file', mode: 0o644, uid: 0, gid: 0, size: 3, mtime: 1 }),
    Buffer.from('abc'),
    paddingFor(3),
  ];
  const entries = Buffer.concat(parts);
  return { entries, whole: Buffer.concat([entries, endOfArchive(entries.length)]) };
}

describe('tarEntryBytes', () => {
  it('gives every entry up to the end-of-archive blocks, even across zero-filled content', async () => {
    const { entries, whole } = sample();
    assert.deepEqual(await collect(tarEntryBytes(Readable.from([whole]), 'sample')), entries);
  });

  it('does not depend on how the stream is chunked', async () => {
    const { entries, whole } = sample();
    const pieces: Buffer[] = [];
    for (let at = 0; at < whole.length; at += 77) pieces.push(whole.subarray(at, at + 77));
    assert.deepEqual(await collect(tarEntryBytes(Readable.from(pieces), 'sample')), entries);
  });

  it('fails on a tar cut short', async () => {
    const { entries } = sample();
    await assert.rejects(collect(tarEntryBytes(Readable.from([entries]), 'cut')), /cut: the tar ends without its end-of-archive blocks/);
  });

  it('reads octal and GNU base-256 sizes', () => {
    const block = Buffer.alloc(512);
    block.write('00000001750\0', 124, 'latin1');
    assert.equal(headerSize(block), 1000);
    const big = Buffer.alloc(512);
    big[124] = 0x80;
    big.writeUIntBE(2 ** 34, 130, 6);
    assert.equal(headerSize(big), 2 ** 34);
  });
});
