import { strict as assert } from 'node:assert';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { codePoints, compareNames } from '../../src/tar/name-order.ts';
import { storeLayerStream } from '../../src/tar/store-layer.ts';
import { collect, ROOT_OWNER, tempDir } from './fixtures.ts';

const bytes = (...values: number[]) => Buffer.from(values);

describe('compareNames', () => {
  it('is byte order for valid UTF-8, which equals code point order', () => {
    const names = ['lib.d', 'lib', 'lib-x', 'é', 'z', '🚀', '\uffff'].map((name) => Buffer.from(name));
    const sorted = [...names].sort(compareNames).map((name) => name.toString());
    assert.deepEqual(sorted, ['lib', 'lib-x', 'lib.d', 'z', 'é', '\uffff', '🚀']);
  });

  it('sorts an undecodable byte as the lone surrogate Python decodes it to', () => {
    assert.deepEqual(codePoints(bytes(0x61, 0xff, 0xc3)), [0x61, 0xdcff, 0xdcc3]);
    // "é" is U+00E9, a lone 0xC3 byte is U+DCC3: é first, although bytewise the lone byte is a prefix.
    assert.ok(compareNames(bytes(0xc3, 0xa9), bytes(0xc3)) < 0);
    assert.ok(Buffer.compare(bytes(0xc3, 0xa9), bytes(0xc3)) > 0);
    // U+E000 (EE 80 80) sorts after U+DCxx although its lead byte is lower than 0xFF.
    assert.ok(compareNames(bytes(0xff), Buffer.from('\ue000')) < 0);
    assert.equal(compareNames(bytes(0x61, 0xff), bytes(0x61, 0xff)), 0);
  });

  it('orders entries with undecodable names that way in a store layer', async () => {
    const dir = tempDir();
    try {
      const pkg = join(dir.path, 'nix/store/pkg');
      mkdirSync(pkg, { recursive: true });
      for (const name of [bytes(0xc3), Buffer.from('é'), Buffer.from('z')]) {
        writeFileSync(Buffer.concat([Buffer.from(`${pkg}/`), name]), 'x');
      }
      const tar = await collect(storeLayerStream(['/nix/store/pkg'], { ...ROOT_OWNER, root: dir.path }));
      const paxPaths: Buffer[] = [];
      for (let offset = 0; offset < tar.length; offset += 512) {
        if (tar[offset + 156] !== 0x78) continue; // 'x'
        const body = tar.subarray(offset + 512, offset + 1024);
        const start = body.indexOf(' path=') + ' path='.length;
        paxPaths.push(Buffer.from(body.subarray(start, body.indexOf(0x0a, start))));
      }
      assert.deepEqual(paxPaths.map((path) => path.subarray('/nix/store/pkg/'.length).toString('hex')), ['c3a9', 'c3']);
      assert.ok(tar.includes(Buffer.from('21 hdrcharset=BINARY\n')), 'the undecodable name is written as raw bytes');
    } finally {
      dir.cleanup();
    }
  });
});
