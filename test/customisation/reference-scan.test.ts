import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { scanReferences } from '../../src/customisation/reference-scan.ts';

const work = await mkdtemp(join(tmpdir(), 'strata-refscan-'));
after(() => rm(work, { recursive: true, force: true }));

const hash = (c: string): string => c.repeat(32);
const path = (c: string, name: string): string => `/nix/store/${hash(c)}-${name}`;
const [a, b, c, d] = [path('a', 'a'), path('b', 'b'), path('c', 'c'), path('d', 'd')];

test('finds candidates by hash anywhere, in candidate order; ignores the rest', async () => {
  const file = join(work, 'mixed');
  // b: a whole path; a: hash only, glued to more hash characters (Nix checks every offset);
  // c: 31 characters only; a hash of no candidate is ignored.
  await writeFile(file, `x${b}/bin/sh\0zz${hash('a')}0\0${'c'.repeat(31)}\0${hash('q')}`);
  assert.deepEqual(scanReferences([file], [d, c, b, a]), [b, a]);
});

test('a hash split across two reads is still found; several files add up', async () => {
  const big = join(work, 'big');
  const at = (1 << 20) - 10; // straddles the 1 MiB read boundary
  const bytes = Buffer.alloc(3 << 20);
  bytes.write(hash('d'), at, 'latin1');
  await writeFile(big, bytes);
  const small = join(work, 'small');
  await writeFile(small, c);
  assert.deepEqual(scanReferences([big, small], [a, c, d]), [c, d]);
  assert.deepEqual(scanReferences([big], [a, b]), []);
});
