// The world the e2e suite builds in is the users' one: the sandbox is on and fails loudly when
// it cannot be set up (sandbox-fallback = false), host programs come only through /usr, and,
// inside the trixie root (scripts/in-trixie.sh), builds run as build users as under nix-daemon.
// A probe build with a fresh nonce (so it really builds) checks what the sandbox hides.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { execa } from 'execa';
import { buildExpression, repoRoot } from './harness.ts';

async function nixConfig(): Promise<Record<string, { value: unknown }>> {
  const { stdout } = await execa('nix', ['show-config', '--json'], { stdin: 'ignore' });
  return JSON.parse(String(stdout)) as Record<string, { value: unknown }>;
}

const inTrixie = /^VERSION_CODENAME=trixie$/m.test(readFileSync('/etc/os-release', 'utf8'));

describe(`Nix as users run it (${inTrixie ? 'trixie root' : 'host'})`, () => {
  it('has the sandbox on, without fallback, and no /bin among the sandbox paths', async () => {
    const config = await nixConfig();
    assert.equal(config['sandbox']?.value, true);
    assert.equal(config['sandbox-fallback']?.value, false);
    const paths = [...(config['sandbox-paths']?.value as string[] ?? []), ...(config['extra-sandbox-paths']?.value as string[] ?? [])];
    assert.deepEqual(paths.filter((p) => p === '/bin' || p.startsWith('/bin=')), []);
  });

  it('builds in a sandbox that hides the host: no /etc/hostname, no checkout, no home, not root', async () => {
    const nonce = randomUUID();
    const probe = await buildExpression(`derivation {
      name = "sandbox-probe"; system = builtins.currentSystem; nonce = "${nonce}";
      builder = "/usr/bin/sh"; PATH = "/usr/bin";
      args = [ "-c" "for p in /etc/hostname ${repoRoot} /root /var /home; do [ -e $p ] && echo \\"visible $p\\"; done > $out; echo uid=$(id -u) build=$NIX_BUILD_TOP >> $out" ];
    }`);
    assert.equal((await readFile(probe, 'utf8')).trim(), 'uid=1000 build=/build');
  });

  if (inTrixie) {
    it('is Nix 2.26 with build users (nixbld), as under nix-daemon', async () => {
      const { stdout } = await execa('nix', ['--version'], { stdin: 'ignore' });
      assert.match(String(stdout), /\b2\.26\.\d+$/);
      assert.equal((await nixConfig())['build-users-group']?.value, 'nixbld');
    });
  }
});
