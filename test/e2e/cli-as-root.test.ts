// Hostile store contents through the CLI that only root can set up (mknod, chown, setpriv),
// so they live with the e2e tests: `npm run test:unit` needs no root. Each ends in exit 1 and
// one `nix-strata: ` line, and no archive is left (the conf reads no store file: the stream
// reports what is wrong in one). The unprivileged run uses the builder's
// store copy (test/nix/host.nix), not the checkout's bin/, so it also passes when the checkout
// sits under a directory only root can read.
import { chmod, mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { execa } from 'execa';
import { assertCleanFailure, assertNothingLeft, makeFixture, runCli, writeConf, type Fixture } from '../faults/fixture.ts';
import { buildExpression, repoRoot } from './harness.ts';

const made: Fixture[] = [];
after(async () => {
  for (const fixture of made) await rm(fixture.work, { recursive: true, force: true });
});
async function fixture(): Promise<Fixture> {
  const value = await makeFixture();
  made.push(value);
  return value;
}

describe('hostile store contents through the CLI, set up as root', () => {
  let builder: string;
  before(async () => {
    builder = `${await buildExpression(`(import ${repoRoot}/test/nix/host.nix { }).nix-strata`)}/bin/nix-strata`;
  });

  test('stream: a character device inside a store path', async () => {
    const f = await fixture();
    await execa('mknod', [join(f.lib, 'share', 'null'), 'c', '1', '3']);
    await writeConf(f);
    assertCleanFailure(await runCli(['stream', '--conf', f.confPath, '--output', join(f.work, 'image.tar')]), /share\/null is a character device/);
    await assertNothingLeft(f.work, 'image.tar');
  });

  test('stream (as an unprivileged user): an unreadable file in a store path', async () => {
    // We run as root, which can read anything; dropping to nobody is the honest way to get EACCES.
    const f = await fixture();
    await writeConf(f);
    await chmod(f.work, 0o755);
    await chmod(f.confPath, 0o644);
    await chmod(join(f.lib, 'share', 'data'), 0o000);
    const out = join(f.work, 'out');
    await mkdir(out);
    await execa('chown', ['nobody', out]);
    const result = await execa('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', builder, 'stream', '--conf', f.confPath, '--output', join(out, 'image.tar')], {
      reject: false, cwd: '/',
    });
    assertCleanFailure(result, /cannot read .*share\/data: .*permission denied/i);
    await assertNothingLeft(out, 'image.tar');
  });
});
