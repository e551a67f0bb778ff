// Layers with a stored blob (a buildLayer output): a compressed docker-archive copies the blob in
// as members of its own (sinks/compressed-members.ts), an OCI layout copies it as the layer's
// blob (sinks/layer-blobs.ts); only the other layers are compressed, and a damaged blob is one
// line naming the layer with nothing left behind.
import assert from 'node:assert/strict';
import { createWriteStream, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { execa } from 'execa';
import { buildCores } from '../../src/build-cores.ts';
import { hexOf } from '../../src/digest/digest.ts';
import type { Image } from '../../src/image/types.ts';
import { compressInMembers } from '../../src/sinks/compressed-members.ts';
import { writeDockerArchive } from '../../src/sinks/docker-archive.ts';
import { writeOciLayout } from '../../src/sinks/oci-layout.ts';
import { writeOutput, type Compressor } from '../../src/sinks/output.ts';
import { collect, recordingLogger } from './vectors.ts';
import { imageWithStored, type StoredCompression } from './stored-layers.fixture.ts';

const dir = mkdtempSync(join(tmpdir(), 'strata-stored-'));
const OPTIONS = { repoTags: ['stored:1'], mtime: 1 };
const DECOMPRESS: Record<StoredCompression, string[]> = { gzip: ['gzip', '-dc'], zstd: ['zstd', '-dcq'] };
const COMPRESSOR: Record<StoredCompression, Exclude<Compressor, 'none'>> = { gzip: 'gz', zstd: 'zstd' };

/** The uncompressed docker-archive of `image`, as `--compressor none` writes it. */
function plainArchive(image: Image): Promise<Buffer> {
  return collect((output) => writeDockerArchive(image, output, { ...OPTIONS, log: recordingLogger() }));
}

/** `image` written to `path` as stream does: through writeOutput, the sink given the output's members. */
function writeCompressed(image: Image, path: string, compressor: Compressor): Promise<void> {
  return writeOutput({ path, compressor }, (stream, compressed) => writeDockerArchive(image, stream, { ...OPTIONS, log: recordingLogger(), compressed }));
}

async function decompress(path: string, compression: StoredCompression): Promise<Buffer> {
  const [command, ...args] = DECOMPRESS[compression];
  return Buffer.from((await execa(command!, [...args, path], { encoding: 'buffer', stripFinalNewline: false })).stdout);
}

const oneLine = (code: string, pattern: RegExp) => (error: Error & { code?: string }) => {
  assert.equal(error.name, 'UserError', error.stack);
  assert.equal(error.code, code);
  assert.ok(!error.message.includes('\n'), error.message);
  assert.match(error.message, pattern);
  return true;
};

for (const compression of ['gzip', 'zstd'] as const) {
  test(`${compression}: without stored layers the file is exactly one compressor run over the archive`, async () => {
    const image = await imageWithStored(undefined);
    const path = join(dir, `plain.${compression}`);
    await writeCompressed(image, path, COMPRESSOR[compression]);
    const threads = String(buildCores());
    const [command, args] = compression === 'gzip' ? ['pigz', ['-c', '-n', '-T', '--rsyncable', '-p', threads]] : ['zstd', ['-c', '-q', '-3', `-T${threads}`]];
    const oneRun = Buffer.from((await execa(command, args, { input: await plainArchive(image), encoding: 'buffer', stripFinalNewline: false })).stdout);
    assert.ok(readFileSync(path).equals(oneRun));
  });

  test(`${compression}: stored layers are copied in; the file decompresses to exactly the uncompressed archive`, async () => {
    const image = await imageWithStored(compression);
    const path = join(dir, `stored.${compression}`);
    await writeCompressed(image, path, COMPRESSOR[compression]);
    // The stored blobs' tars were never read; the blobs are in the file as they are.
    assert.deepEqual(image.layers.map((layer) => layer.opened()), [0, 0, 1]);
    const file = readFileSync(path);
    for (const layer of image.layers.slice(0, 2)) {
      assert.ok(file.includes(await streamBytes(layer.stored!.open())), `${layer.origin[0]}'s stored blob is in the file verbatim`);
    }
    assert.ok((await decompress(path, compression)).equals(await plainArchive(image)));
  });

  test(`${compression}: only what is not stored goes through the compressor, one process per stretch between stored blobs`, async () => {
    const image = await imageWithStored(compression);
    const fed = join(dir, `fed.${compression}`);
    const runs = join(dir, `runs.${compression}`);
    writeFileSync(fed, '');
    writeFileSync(runs, '');
    // The real compressor, with what it is fed appended to `fed` and each run counted in `runs`.
    const real = compression === 'gzip' ? 'pigz -c -n -T -p 2' : 'zstd -c -q -3 -T2';
    const path = join(dir, `counted.${compression}`);
    const sink = createWriteStream(path);
    const output = compressInMembers({ compression, command: 'sh', args: ['-c', `echo run >> "$1"; tee -a "$0" | ${real}`, fed, runs] }, sink, { end: true, where: path });
    await writeDockerArchive(image, output.stream, { ...OPTIONS, log: recordingLogger(), compressed: output.members });
    await output.done;
    const archive = await plainArchive(image);
    assert.ok((await decompress(path, compression)).equals(archive));
    // The archive without the two stored layers' tars (each 512-aligned: no padding follows them).
    const [first, second] = image.tars;
    const at1 = archive.indexOf(first!);
    const at2 = archive.indexOf(second!);
    const expected = Buffer.concat([archive.subarray(0, at1), archive.subarray(at1 + first!.length, at2), archive.subarray(at2 + second!.length)]);
    assert.ok(readFileSync(fed).equals(expected), `fed ${readFileSync(fed).length} bytes, expected ${expected.length} of the ${archive.length}`);
    assert.equal(readFileSync(runs, 'utf8'), 'run\nrun\nrun\n');
  });

  test(`${compression}: a damaged stored blob is one line naming the layer, and no file is left`, async () => {
    const sub = mkdtempSync(join(dir, 'damaged-'));
    const flipped = await imageWithStored(compression, 'flipped', (blob) => {
      const copy = Buffer.from(blob);
      copy[copy.length >> 1]! ^= 0xff;
      return copy;
    });
    await assert.rejects(writeCompressed(flipped, join(sub, 'image.tar'), COMPRESSOR[compression]),
      oneLine('stored-blob-corrupt', new RegExp(`^the stored ${compression} blob of layer \\S+ \\(from /nix/store/layer-1\\) has digest sha256:[0-9a-f]{64}, not its recorded sha256:[0-9a-f]{64}: .*repair`)));
    const cut = await imageWithStored(compression, 'cut', (blob) => blob.subarray(0, blob.length - 7));
    await assert.rejects(writeCompressed(cut, join(sub, 'image.tar'), COMPRESSOR[compression]), oneLine('stored-blob-corrupt', /from \/nix\/store\/layer-1\) has \d+ bytes, not its recorded \d+:/));
    assert.deepEqual(readdirSync(sub), []);
  });
}

test('a compressor missing from PATH is one line naming it, and no file is left', async () => {
  const sub = mkdtempSync(join(dir, 'no-pigz-'));
  const path = process.env.PATH;
  process.env.PATH = mkdtempSync(join(dir, 'empty-path-'));
  try {
    await assert.rejects(writeCompressed(await imageWithStored('gzip'), join(sub, 'image.tar.gz'), 'gz'), oneLine('compressor-failed', /^pigz failed: .*\(is pigz installed and on PATH\?\)$/));
  } finally {
    process.env.PATH = path;
  }
  assert.deepEqual(readdirSync(sub), []);
});

test('a compressor failing in a member after a stored blob fails the archive in one line', async () => {
  const image = await imageWithStored('gzip');
  const ran = join(dir, 'ran-once');
  const path = join(dir, 'second-fails.gz');
  // The first member's pigz works; the next one exits 3 at once.
  const output = compressInMembers({ compression: 'gzip', command: 'sh', args: ['-c', 'if [ -e "$0" ]; then echo "broken" >&2; exit 3; fi; : > "$0"; exec pigz -c -n', ran] }, createWriteStream(path), { end: true, where: path });
  await assert.rejects(writeDockerArchive(image, output.stream, { ...OPTIONS, log: recordingLogger(), compressed: output.members }), oneLine('compressor-failed', /^sh failed: .*exit code 3/));
  await assert.rejects(output.done, oneLine('compressor-failed', /^sh failed/));
});

test('a stored blob of another compression than the output\'s is not used: the layer is compressed with the rest', async () => {
  const image = await imageWithStored('zstd');
  const path = join(dir, 'other.gz');
  await writeCompressed(image, path, 'gz');
  assert.deepEqual(image.layers.map((layer) => layer.opened()), [1, 1, 1]);
  assert.ok((await decompress(path, 'gzip')).equals(await plainArchive(image)));
});

test('an OCI layout copies a stored blob of its compression (same digest, tar never read) and compresses the rest', async () => {
  const image = await imageWithStored('gzip');
  const path = join(dir, 'layout');
  await writeOciLayout(image, path, { reference: 'stored:1', compression: 'gzip', log: recordingLogger() });
  const index = JSON.parse(await readFile(join(path, 'index.json'), 'utf8'));
  const manifest = JSON.parse(await readFile(join(path, 'blobs', 'sha256', hexOf(index.manifests[0].digest)), 'utf8'));
  for (const [i, layer] of image.layers.entries()) {
    const descriptor = manifest.layers[i];
    if (i < 2) {
      assert.equal(descriptor.digest, layer.stored!.digest);
      assert.equal(descriptor.size, layer.stored!.size);
      assert.ok(readFileSync(join(path, 'blobs', 'sha256', hexOf(layer.stored!.digest))).equals(await streamBytes(layer.stored!.open())));
      assert.equal(layer.opened(), 0);
    } else {
      assert.equal(layer.opened(), 1);
    }
  }
  // zstd wanted: the gzip blobs are of no use, every tar is compressed.
  const zstd = await imageWithStored('gzip');
  await writeOciLayout(zstd, join(dir, 'layout-zstd'), { reference: 'stored:1', compression: 'zstd', log: recordingLogger() });
  assert.deepEqual(zstd.layers.map((layer) => layer.opened()), [1, 1, 1]);
});

test('an OCI layout with a damaged stored blob is one line naming the layer, and no directory is left', async () => {
  const sub = mkdtempSync(join(dir, 'layout-damaged-'));
  const image = await imageWithStored('gzip', 'damaged', (blob) => Buffer.concat([blob, Buffer.from('x')]));
  await assert.rejects(writeOciLayout(image, join(sub, 'layout'), { reference: 'stored:1', compression: 'gzip', log: recordingLogger() }),
    oneLine('stored-blob-corrupt', /^the stored gzip blob of layer \/nix\/store\/layer-1 has more than its recorded \d+ bytes:/));
  assert.deepEqual(readdirSync(sub), []);
});

async function streamBytes(stream: AsyncIterable<unknown>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}
