// Joining tars into one layer: the entries of a tar stream without its end-of-archive blocks,
// found by walking the headers (a file's content may itself contain zero blocks).
import type { Readable } from 'node:stream';
import { BLOCK_SIZE } from '../tar/header.ts';

// Entry types whose size field counts no data blocks (links, devices, directories, fifos).
const NO_DATA = new Set(['1', '2', '3', '4', '5', '6']);

/** The size field of a header block: octal, or GNU base-256 when the high bit is set. */
export function headerSize(block: Buffer): number {
  const field = block.subarray(124, 136);
  if ((field[0]! & 0x80) !== 0) {
    let value = field[0]! & 0x7f;
    for (let i = 1; i < field.length; i++) value = value * 256 + field[i]!;
    return value;
  }
  const text = field.toString('latin1').replace(/[\0 ]+$/, '').replace(/^[\0 ]+/, '');
  return text === '' ? 0 : parseInt(text, 8);
}

/** Yields the bytes of every entry of `tar` (headers and padded data), stopping at the first zero block. */
export async function* tarEntryBytes(tar: Readable | AsyncIterable<Buffer>, what: string): AsyncGenerator<Buffer> {
  let pending: Buffer = Buffer.alloc(0);
  // Bytes still to pass through as data of the current entry, before the next header.
  let dataLeft = 0;
  let ended = false;
  for await (const chunk of tar) {
    if (ended) continue;
    pending = pending.length === 0 ? (chunk as Buffer) : Buffer.concat([pending, chunk as Buffer]);
    let at = 0;
    const out: Buffer[] = [];
    while (!ended) {
      if (dataLeft > 0) {
        const take = Math.min(dataLeft, pending.length - at);
        if (take === 0) break;
        out.push(pending.subarray(at, at + take));
        at += take;
        dataLeft -= take;
        continue;
      }
      if (pending.length - at < BLOCK_SIZE) break;
      const block = pending.subarray(at, at + BLOCK_SIZE);
      if (block.every((byte) => byte === 0)) {
        ended = true;
        break;
      }
      const type = String.fromCharCode(block[156]!);
      const size = NO_DATA.has(type) ? 0 : headerSize(block);
      out.push(block);
      at += BLOCK_SIZE;
      dataLeft = Math.ceil(size / BLOCK_SIZE) * BLOCK_SIZE;
    }
    if (out.length > 0) yield Buffer.concat(out);
    pending = pending.subarray(at);
  }
  if (!ended) throw new Error(`${what}: the tar ends without its end-of-archive blocks`);
}
