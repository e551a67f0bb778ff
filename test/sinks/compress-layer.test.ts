// compressLayer (sinks/compress-layer.ts): the same tar gives the same gzip bytes every time
// (so a repush finds its blobs by digest), and they decompress to the tar.
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { test } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { digestOf } from '../../src/digest/digest.ts';
import { compressLayer } from '../../src/sinks/compress-layer.ts';

const tar = Buffer.from('a tar stand-in, repeated '.repeat(5000));
const layer = { open: () => Readable.from([tar.subarray(0, 1000), tar.subarray(1000)], { objectMode: false }) };

test('compresses a layer to the same bytes every time, with no name or time in the header', async () => {
  const chunks: Buffer[] = [];
  for await (const chunk of compressLayer(layer, 'gzip')) chunks.push(chunk as Buffer);
  const bytes = Buffer.concat(chunks);
  assert.ok(gunzipSync(bytes).equals(tar));
  assert.equal(bytes.readUInt32LE(4), 0, 'MTIME is 0');
  assert.equal(bytes[3]! & 0x08, 0, 'no FNAME');
  assert.deepEqual(await digestOf(compressLayer(layer, 'gzip')), await digestOf(Readable.from([bytes], { objectMode: false })));
});

test('a failing tar fails the compressed stream', async () => {
  const failing = { open: () => new Readable({ read() { this.destroy(new Error('store path vanished')); } }) };
  await assert.rejects(digestOf(compressLayer(failing, 'gzip')), /store path vanished/);
});
