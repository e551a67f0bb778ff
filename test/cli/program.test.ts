import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { cli, makeFixture, repoRoot, writeConf } from '../faults/fixture.ts';

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

test('streaming an uncompressed image does not load execa (a fifth of a second of start-up), which compressing does', async () => {
  // A resolve hook that reports every module loaded from execa's package.
  const hooks = `export async function resolve(specifier, context, next) { const found = await next(specifier, context); if (found.url.includes('/node_modules/execa/')) process._rawDebug('LOADED execa'); return found; }`;
  const register = `import { register } from 'node:module'; register(${JSON.stringify(`data:text/javascript,${encodeURIComponent(hooks)}`)});`;
  const run = (args: string[]) => execa('node', ['--import', `data:text/javascript,${encodeURIComponent(register)}`, cli, ...args], { reject: false, stdin: 'ignore' });
  const fixture = await makeFixture();
  try {
    await writeConf(fixture);
    const plain = await run(['stream', '-q', '--conf', fixture.confPath, '--output', join(fixture.work, 'plain.tar')]);
    assert.equal(plain.exitCode, 0, String(plain.stderr));
    assert.doesNotMatch(String(plain.stderr), /LOADED execa/);
    const compressed = await run(['stream', '-q', '--conf', fixture.confPath, '--compressor', 'gz', '--output', join(fixture.work, 'image.tar.gz')]);
    assert.equal(compressed.exitCode, 0, String(compressed.stderr));
    assert.match(String(compressed.stderr), /LOADED execa/, 'the hook sees execa when it is used');
  } finally {
    await rm(fixture.work, { recursive: true, force: true });
  }
});
