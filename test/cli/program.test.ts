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

test('a mistyped command is one line naming it and the nearest command, not the whole help', async () => {
  const result = await execa('node', [cli, 'strem', '--conf', 'x.json'], { reject: false });
  assert.equal(result.exitCode, 1);
  assert.equal(String(result.stderr), "nix-strata: unknown command 'strem'; did you mean stream? (`nix-strata --help` lists the commands and options)");
  const far = await execa('node', [cli, 'zzzzzz'], { reject: false });
  assert.equal(far.exitCode, 1);
  assert.equal(String(far.stderr).split('\n').length, 1, String(far.stderr));
  assert.match(String(far.stderr), /^nix-strata: unknown command 'zzzzzz' \(/);
});
