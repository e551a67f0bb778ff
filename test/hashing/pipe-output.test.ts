// The archive to a stdout pipe goes through the hashing worker (src/hashing/pipe-output.ts): the
// same bytes as to a file, with one or more cores, and a reader that leaves is one line.
// Needs `npm run build` (runs the compiled CLI).
import assert from 'node:assert/strict';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { execa } from 'execa';
import { assertCleanFailure, cli, makeFixture, writeConf, type Fixture } from '../faults/fixture.ts';

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
  for (const cores of ['1', '2']) {
    // `sleep` first: the reader starts late, so writes find the pipe full.
    const piped = join(fixture.work, `piped-${cores}.tar`);
    await execa('bash', ['-c', `node "$0" stream -q --conf "$1" | { sleep 0.3; cat > "$2"; }`, cli, fixture.confPath, piped], { env: { NIX_BUILD_CORES: cores } });
    assert.ok((await readFile(piped)).equals(expected), `NIX_BUILD_CORES=${cores}`);
  }
});

test('a pipe reader that goes away: exit 1, one line', async () => {
  const result = await execa('bash', ['-c', 'node "$0" stream -q --conf "$1" 2>"$2" | head -c 1 >/dev/null; echo "${PIPESTATUS[0]}"', cli, fixture.confPath, join(fixture.work, 'err')]);
  const stderr = await readFile(join(fixture.work, 'err'), 'utf8');
  assertCleanFailure({ exitCode: Number(result.stdout.trim()), stderr }, /the reader of the image stream went away/);
});
