import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { cli, repoRoot } from '../faults/fixture.ts';

test('--version prints package.json\'s version and exits 0', async () => {
  const { version } = JSON.parse(await readFile(join(repoRoot, 'package.json'), 'utf8')) as { version: string };
  for (const flag of ['--version', '-V']) {
    const result = await execa('node', [cli, flag], { reject: false });
    assert.equal(result.exitCode, 0);
    assert.equal(result.stdout, version);
  }
});

test('an unknown subcommand exits 1 and names it', async () => {
  const result = await execa('node', [cli, 'strem'], { reject: false });
  assert.equal(result.exitCode, 1);
  assert.match(String(result.stderr), /unknown command 'strem'/);
});
