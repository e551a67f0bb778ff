import { strict as assert } from 'node:assert';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseDigest } from '../../src/digest/digest.ts';
import { UserError } from '../../src/errors.ts';
import { storePathsLayer } from '../../src/sources/store-paths.ts';
import { buildVectorTree, collect, DEMO, NOTE, ROOT_OWNER, sha256Hex, tempDir } from '../tar/fixtures.ts';

const VECTOR_C = parseDigest('sha256:a690232b32e25880104b33ef304580fd4e002e227f570fc2a143317ec7087548', 'test');
const VECTOR_D = parseDigest('sha256:561489beb41d5ac60b12c387e72a2978702ffa9fc02729df943f90f30687bd3a', 'test');

describe('storePathsLayer', () => {
  const tree = tempDir();
  before(() => buildVectorTree(tree.path));
  after(() => tree.cleanup());

  it('computes diffId, digest and size of vector C, and streams the same bytes', async () => {
    const layer = storePathsLayer([DEMO, NOTE], { ...ROOT_OWNER, root: tree.path });
    assert.equal(layer.compression, 'none');
    assert.deepEqual(layer.origin, [DEMO, NOTE]);
    assert.equal(await layer.diffId(), VECTOR_C);
    assert.equal(await layer.digest(), VECTOR_C);
    assert.equal(await layer.size(), 10240);
    const bytes = await collect(layer.open());
    assert.equal(`sha256:${sha256Hex(bytes)}`, VECTOR_C);
    assert.ok(bytes.equals(await collect(layer.open())), 'every open() yields the same bytes');
  });

  it('sizes from lstat, takes its digest from the stream, and keeps it (no second pass)', async () => {
    const file = join(tree.path, 'nix/store/streamed');
    writeFileSync(file, 'first\n');
    const layer = storePathsLayer(['/nix/store/streamed'], { ...ROOT_OWNER, root: tree.path });
    assert.equal(layer.identityFromStream, true);
    assert.equal(await layer.size(), 10240);
    const bytes = await collect(layer.open());
    // Same size, other content: a digest computed now would differ from the streamed one.
    writeFileSync(file, 'other\n');
    assert.equal(await layer.diffId(), `sha256:${sha256Hex(bytes)}`);
    assert.equal(await layer.digest(), `sha256:${sha256Hex(bytes)}`);
    await assert.rejects(collect(layer.open()), { code: 'layer-digest-mismatch' }, 'a later stream must give the same bytes');
  });

  it('fails the stream, naming the file or the layer, when the tree changed after its size was taken', async () => {
    const file = join(tree.path, 'nix/store/resized');
    // With the walk recorded (the default) the stream finds the file; past the record's limit,
    // it walks again and finds the layer's size wrong.
    for (const [recordLimit, code, named] of [[undefined, 'file-changed', 'resized changed size'], [1, 'layer-size-mismatch', 'store layer of /nix/store/resized']] as const) {
      for (const [before, after] of [[10, 20_000], [20_000, 10]] as const) {
        writeFileSync(file, Buffer.alloc(before, 0x61));
        const layer = storePathsLayer(['/nix/store/resized'], { ...ROOT_OWNER, root: tree.path, ...(recordLimit === undefined ? {} : { recordLimit }) });
        const announced = await layer.size();
        writeFileSync(file, Buffer.alloc(after, 0x61));
        await assert.rejects(collect(layer.open()), (error: unknown) => {
          assert.ok(error instanceof UserError && error.code === code, String(error));
          assert.ok(error.message.includes(named), error.message);
          if (code === 'layer-size-mismatch') assert.ok(error.message.includes(`announced ${announced} bytes`), error.message);
          return true;
        });
      }
    }
  });

  it('hashes only once for diffId, digest and size', async () => {
    const note = join(tree.path, 'nix/store/memo');
    writeFileSync(note, 'first\n');
    const layer = storePathsLayer(['/nix/store/memo'], { ...ROOT_OWNER, root: tree.path });
    const first = await layer.diffId();
    writeFileSync(note, 'second, longer\n');
    assert.equal(await layer.digest(), first, 'the memoised identity is not recomputed');
    assert.equal(await layer.size(), 10240);
  });

  it('fails the stream when the store changed after the hashing pass', async () => {
    const note = join(tree.path, 'nix/store/changing');
    writeFileSync(note, 'before\n');
    const layer = storePathsLayer(['/nix/store/changing'], { ...ROOT_OWNER, root: tree.path });
    const announced = await layer.diffId();
    writeFileSync(note, 'after!\n');
    await assert.rejects(collect(layer.open()), (error: unknown) => {
      assert.ok(error instanceof UserError);
      assert.ok(error.message.includes(announced), error.message);
      assert.match(error.message, /was expected; make sure nothing modifies the store paths/);
      return true;
    });
  });

  it('trusts a known digest without reading the store (a sink may name the member by it)', async () => {
    const layer = storePathsLayer(['/nix/store/not-there'], { ...ROOT_OWNER, root: tree.path, known: { digest: VECTOR_C, size: 10240 } });
    assert.equal(layer.identityFromStream, undefined);
    assert.equal(await layer.diffId(), VECTOR_C);
    assert.equal(await layer.size(), 10240);
  });

  it('streams normally when the known digest is right', async () => {
    const layer = storePathsLayer([DEMO, NOTE], { ...ROOT_OWNER, root: tree.path, known: { digest: VECTOR_C, size: 10240 } });
    const bytes = await collect(layer.open());
    assert.equal(`sha256:${sha256Hex(bytes)}`, VECTOR_C);
  });

  it('fails the stream, naming paths and both digests, when the known digest is wrong', async () => {
    const layer = storePathsLayer([DEMO, NOTE], { ...ROOT_OWNER, root: tree.path, known: { digest: VECTOR_D, size: 10240 } });
    await assert.rejects(collect(layer.open()), (error: unknown) => {
      assert.ok(error instanceof UserError);
      assert.ok(error.message.includes(DEMO) && error.message.includes(NOTE), error.message);
      assert.ok(error.message.includes(VECTOR_C) && error.message.includes(VECTOR_D), error.message);
      return true;
    });
  });

  it('passes errors of the tar writer through the verifying stream', async () => {
    const layer = storePathsLayer(['/nix/store/missing'], { ...ROOT_OWNER, root: tree.path, known: { digest: VECTOR_C, size: 10240 } });
    await assert.rejects(collect(layer.open()), /cannot stat store path \/nix\/store\/missing/);
  });
});
