// The diff_id → compressed blob hints (registry/blob-info-cache.ts): kept across instances,
// per compressor, and a damaged or unwritable cache only loses hints.
import assert from 'node:assert/strict';
import { chmod, mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { sha256Digest } from '../../src/digest/digest.ts';
import { BlobInfoCache, defaultBlobInfoDir } from '../../src/registry/blob-info-cache.ts';

let dir: string;
before(async () => { dir = await mkdtemp(join(tmpdir(), 'nix-strata-blob-info-')); });
after(async () => { await rm(dir, { recursive: true, force: true }); });

const diffId = sha256Digest('tar');
const blob = { digest: sha256Digest('gzip'), size: 42 };

test('lives under $XDG_CACHE_HOME, else ~/.cache', () => {
  assert.equal(defaultBlobInfoDir({ XDG_CACHE_HOME: '/c' }, '/h'), '/c/nix-strata/blob-info');
  assert.equal(defaultBlobInfoDir({}, '/h'), '/h/.cache/nix-strata/blob-info');
});

test('remembers what a layer became, per compressor, for a later process', async () => {
  const path = join(dir, 'a');
  assert.equal(await new BlobInfoCache(path).isEmpty(), true);
  await new BlobInfoCache(path).set(diffId, 'gzip-zlib-6', blob);
  const later = new BlobInfoCache(path);
  assert.equal(await later.isEmpty(), false);
  assert.deepEqual(await later.get(diffId, 'gzip-zlib-6'), blob);
  assert.equal(await later.get(diffId, 'zstd-3'), undefined);
  assert.deepEqual(await readdir(path), [`${diffId.slice(7)}.gzip-zlib-6`], 'no temporary file is left');
});

test('a damaged entry is no hint; an unwritable directory is reported, not thrown', async () => {
  const path = join(dir, 'b');
  await mkdir(path);
  await writeFile(join(path, `${diffId.slice(7)}.gzip-zlib-6`), '{"digest":"sha256:nope","size":1}');
  assert.equal(await new BlobInfoCache(path).get(diffId, 'gzip-zlib-6'), undefined);
  const readOnly = join(dir, 'ro');
  await mkdir(readOnly);
  await chmod(readOnly, 0o500);
  const messages: string[] = [];
  // As root the mode does not stop a write: a file where the directory should be does.
  await writeFile(join(readOnly, 'blob-info'), 'not a directory');
  await new BlobInfoCache(join(readOnly, 'blob-info'), (message) => messages.push(message)).set(diffId, 'gzip-zlib-6', blob);
  assert.equal(messages.length, 1);
  assert.match(messages[0]!, /^cannot write the blob-info cache .*blob-info \((EEXIST|ENOTDIR)\); a push cut off later sends its layers again$/);
});
