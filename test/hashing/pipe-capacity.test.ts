// widenStdoutPipe (src/hashing/pipe-capacity.ts): what it asks pipesz, and that a missing or
// failing pipesz leaves the stream as it was instead of failing it.
import assert from 'node:assert/strict';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { WIDE_PIPE_BYTES, widenStdoutPipe } from '../../src/hashing/pipe-capacity.ts';

const work = await mkdtemp(join(tmpdir(), 'strata-pipe-capacity-'));
after(() => rm(work, { recursive: true, force: true }));

// A stand-in pipesz recording its arguments and exiting with `status`.
async function fakePipesz(status: number): Promise<{ program: string; args: () => Promise<string[]> }> {
  const program = join(work, `pipesz-${status}`);
  const record = `${program}.args`;
  await writeFile(program, `#!/bin/sh\nprintf '%s\\n' "$@" > '${record}'\nexit ${status}\n`);
  await chmod(program, 0o755);
  return { program, args: async () => (await readFile(record, 'utf8')).trimEnd().split('\n') };
}

test('asks pipesz to set stdout (fd 1) to 1 MiB, failing rather than running anything', async () => {
  const fake = await fakePipesz(0);
  assert.equal(widenStdoutPipe(fake.program), true);
  assert.equal(WIDE_PIPE_BYTES, 1048576);
  assert.deepEqual(await fake.args(), ['--set', '1048576', '--fd', '1', '--check', '--quiet']);
});

test('a pipesz that fails (the kernel refused) means the pipe stays as it is', async () => {
  assert.equal(widenStdoutPipe((await fakePipesz(1)).program), false);
});

test('no pipesz at all is no error', () => {
  assert.equal(widenStdoutPipe(join(work, 'no-such-pipesz')), false);
});
