import { strict as assert } from 'node:assert';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { VerifyHasher } from '../../src/hashing/verify-hasher.ts';
import { UserError } from '../../src/errors.ts';
import { storePathsLayer } from '../../src/sources/store-paths.ts';
import { recycleChunk } from '../../src/tar/generator-readable.ts';
import { storeLayerDigest } from '../../src/tar/store-layer.ts';
import { collect, ROOT_OWNER, tempDir } from '../tar/fixtures.ts';

describe('VerifyHasher: the digest of the streamed bytes on a worker thread', () => {
  const tree = tempDir();
  const verifier = new VerifyHasher();
  const paths = ['/nix/store/aaaa-big', '/nix/store/bbbb-small'];
  before(() => {
    mkdirSync(join(tree.path, paths[0]!, 'd'), { recursive: true });
    // Several chunks' worth, so the worker falls behind and chunks are refilled.
    for (let i = 0; i < 12; i++) writeFileSync(join(tree.path, paths[0]!, 'd', `f${i}`), Buffer.alloc(700_000 + i, i + 1));
    mkdirSync(join(tree.path, paths[1]!));
    writeFileSync(join(tree.path, paths[1]!, 'note'), 'small\n');
  });
  after(async () => {
    await verifier.close();
    tree.cleanup();
  });

  const options = { ...ROOT_OWNER, root: tree.path };

  it('streams the same bytes, checked against the known digest, also when the consumer refills chunks', async () => {
    const known = storeLayerDigest(paths, options);
    const layer = storePathsLayer(paths, { ...options, known, verifier });
    const plain = await collect(storePathsLayer(paths, { ...options, known }).open());
    assert.equal(plain.length, known.size);
    const source = layer.open();
    const copies: Buffer[] = [];
    for await (const chunk of source) {
      copies.push(Buffer.from(chunk as Buffer));
      recycleChunk(source, chunk as Buffer);
    }
    assert.ok(Buffer.concat(copies).equals(plain));
    // A second layer on the same worker.
    const second = await collect(storePathsLayer([paths[1]!], { ...options, known: storeLayerDigest([paths[1]!], options), verifier }).open());
    assert.equal(second.length, storeLayerDigest([paths[1]!], options).size);
  });

  it('computes the digest of a layer streamed without one, with chunks refilled', async () => {
    const layer = storePathsLayer(paths, { ...options, verifier });
    const source = layer.open();
    const copies: Buffer[] = [];
    for await (const chunk of source) {
      copies.push(Buffer.from(chunk as Buffer));
      recycleChunk(source, chunk as Buffer);
    }
    const expected = storeLayerDigest(paths, options);
    assert.equal(Buffer.concat(copies).length, expected.size);
    assert.equal(await layer.diffId(), expected.digest);
  });

  it('fails the stream, naming the layer, when the bytes are not the known digest', async () => {
    const wrong = storeLayerDigest([paths[1]!], options);
    const layer = storePathsLayer(paths, { ...options, known: wrong, verifier });
    await assert.rejects(collect(layer.open()), (error: unknown) => {
      assert.ok(error instanceof UserError && error.code === 'layer-digest-mismatch', String(error));
      assert.ok(error.message.includes(paths[0]!) && error.message.includes(wrong.digest), error.message);
      return true;
    });
  });
});
