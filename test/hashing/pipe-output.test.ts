// The archive to a stdout pipe goes through the hashing worker (src/hashing/pipe-output.ts): the
// same bytes as to a file, with one or more cores, and a reader that leaves is one line.
// Needs `npm run build` (runs the compiled CLI).
import assert from 'node:assert/strict';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { after, before, test } from 'node:test';
import { execa } from 'execa';
import { assertCleanFailure, cli, makeFixture, noise, writeConf, type Fixture } from '../faults/fixture.ts';

let fixture: Fixture;
before(async () => {
  // Several MiB, so the 2 MiB ring fills and the writer falls behind a slow reader.
  fixture = await makeFixture({ dataSize: 6 << 20 });
  await writeConf(fixture);
});
after(async () => {
  if (fixture) await rm(fixture.work, { recursive: true, force: true });
});

test('piped, the archive has the bytes written to a file, on one core and on two', async () => {
  const file = join(fixture.work, 'file.tar');
  await execa('node', [cli, 'stream', '-q', '--conf', fixture.confPath, '--output', file]);
  const expected = await readFile(file);
  // A pipesz that says yes makes the writer write whole 256 KiB slots (pipe-capacity.ts), here
  // into a pipe that kept its size: the bytes must be the same either way.
  const sayYes = join(fixture.work, 'yes-bin');
  await mkdir(sayYes, { recursive: true });
  await writeFile(join(sayYes, 'pipesz'), '#!/bin/sh\nexit 0\n', { mode: 0o755 });
  for (const cores of ['1', '2']) {
    for (const wide of [false, true]) {
      // `sleep` first: the reader starts late, so writes find the pipe full.
      const piped = join(fixture.work, `piped-${cores}-${wide}.tar`);
      const env = { NIX_BUILD_CORES: cores, ...(wide ? { PATH: `${sayYes}:${process.env.PATH}` } : {}) };
      await execa('bash', ['-c', `node "$0" stream -q --conf "$1" | { sleep 0.3; cat > "$2"; }`, cli, fixture.confPath, piped], { env });
      assert.ok((await readFile(piped)).equals(expected), `NIX_BUILD_CORES=${cores}, ${wide ? 'whole-slot' : '16 KiB'} writes`);
    }
  }
});

test('a pipe reader that goes away: exit 1, one line', async () => {
  const result = await execa('bash', ['-c', 'node "$0" stream -q --conf "$1" 2>"$2" | head -c 1 >/dev/null; echo "${PIPESTATUS[0]}"', cli, fixture.confPath, join(fixture.work, 'err')]);
  const stderr = await readFile(join(fixture.work, 'err'), 'utf8');
  assertCleanFailure({ exitCode: Number(result.stdout.trim()), stderr }, /the reader of the image stream went away/);
});

// Copies stdin to the file named by its argument, 64 KiB at a time with a pause after each read.
const SLOW_READER = `const fs = require('fs'); const out = fs.openSync(process.argv[1], 'w'); const b = Buffer.alloc(65536);
setTimeout(function next() { const n = fs.readSync(0, b, 0, b.length, null); if (n === 0) return; fs.writeSync(out, b, 0, n); setTimeout(next, 1); }, 300);`;

test('piped, several layers larger than the pipe ring, to a slow reader: the bytes of a file, nothing stuck', async () => {
  // Store layers stream through the ring's 16 slots of 256 KiB (src/hashing/pipe-ring.ts); a
  // chunk that left its slot without being written (merged into another buffer) would hold it
  // for good, and a few layers later the stream would wait forever for a free slot.
  const names = ['cccc-one', 'dddd-two', 'eeee-three'].map((name) => `0000000000000000000000000000${name}`);
  const many = await makeFixture({
    closure: (lib, app) => [
      { path: lib, narHash: 'sha256-lib', narSize: 1, references: [] },
      { path: app, narHash: 'sha256-app', narSize: 1, references: [lib, app] },
      ...names.map((name, index) => ({ path: join(dirname(lib), name), narHash: `sha256-${index}`, narSize: 1, references: [] })),
    ],
  });
  try {
    for (const [index, name] of names.entries()) {
      const dir = join(many.storeDir, name, 'share');
      await mkdir(dir, { recursive: true });
      // Files of odd sizes, so chunks end mid-file and each layer ends with a partial chunk.
      for (let file = 0; file < 40; file++) await writeFile(join(dir, `f${file}`), noise(150_000 + file * 1_001 + index, file + index));
    }
    await writeConf(many);
    const file = join(many.work, 'file.tar');
    await execa('node', [cli, 'stream', '-q', '--conf', many.confPath, '--output', file]);
    const piped = join(many.work, 'piped.tar');
    // The reader starts late and then reads slowly (64 KiB a millisecond), so the ring is full most of the time.
    await execa('bash', ['-c', `node "$0" stream -q --conf "$1" | node -e "$2" "$3"`, cli, many.confPath, SLOW_READER, piped], { env: { NIX_BUILD_CORES: '2' }, timeout: 60_000 });
    assert.ok((await readFile(piped)).equals(await readFile(file)));
  } finally {
    await rm(many.work, { recursive: true, force: true });
  }
});
