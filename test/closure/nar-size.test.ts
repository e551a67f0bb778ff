import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { narSizeOfFlatDirectory, type NarFile } from '../../src/closure/nar-size.ts';

const work = await mkdtemp(join(tmpdir(), 'strata-nar-'));
after(() => rm(work, { recursive: true, force: true }));

test('the two-file layer directory of the worked example: 488 bytes', () => {
  // checksum "abc\n" and layer.tar "x", as `nix-store --dump | wc -c` measured it.
  assert.equal(narSizeOfFlatDirectory([{ name: 'checksum', size: 4 }, { name: 'layer.tar', size: 1 }]), 488);
});

test('equals the length of `nix-store --dump` for flat directories (padding edges, executables)', async () => {
  const cases: NarFile[][] = [
    [],
    [{ name: 'checksum', size: 64 }, { name: 'layer.tar', size: 10240 }],
    [{ name: 'a', size: 0 }, { name: 'bbbbbbbb', size: 7 }, { name: 'ccccccccc', size: 8 }, { name: 'd', size: 9, executable: true }],
    [{ name: 'ünïcode-name', size: 17 }],
  ];
  for (const [index, files] of cases.entries()) {
    const dir = join(work, `case-${index}`);
    await mkdir(dir);
    for (const file of files) await writeFile(join(dir, file.name), Buffer.alloc(file.size, 1), { mode: file.executable ? 0o755 : 0o644 });
    const { stdout } = await execa('bash', ['-c', 'nix-store --dump "$1" | wc -c', '-', dir]);
    assert.equal(narSizeOfFlatDirectory(files), Number(stdout), `case ${index}`);
  }
});
