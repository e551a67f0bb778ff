// fakeNss as nixpkgs has it (pkgs/by-name/fa/fakeNss/package.nix): root, the extra lines, then
// nobody, in /etc/passwd and /etc/group; nsswitch.conf; an empty /var/empty. Here as real files
// in one store path (nixpkgs' symlinkJoin makes them symlinks into other store paths).
import assert from 'node:assert/strict';
import { lstat, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { buildExpression, repoRoot } from './harness.ts';

const host = `(import ${repoRoot}/test/nix/host.nix { })`;

// nixpkgs' text for these arguments, written out from its package.nix.
const passwd = (extra: string[]): string => ['root:x:0:0:root user:/var/empty:/bin/sh', ...extra, 'nobody:x:65534:65534:nobody:/var/empty:/bin/sh', ''].join('\n');
const group = (extra: string[]): string => ['root:x:0:', ...extra, 'nobody:x:65534:', ''].join('\n');

async function expectFakeNss(out: string, extraPasswd: string[], extraGroup: string[]): Promise<void> {
  assert.deepEqual((await readdir(out)).sort(), ['etc', 'var']);
  assert.deepEqual((await readdir(join(out, 'etc'))).sort(), ['group', 'nsswitch.conf', 'passwd']);
  for (const file of ['etc/passwd', 'etc/group', 'etc/nsswitch.conf']) assert.ok((await lstat(join(out, file))).isFile(), `${file} is a regular file`);
  assert.equal(await readFile(join(out, 'etc/passwd'), 'utf8'), passwd(extraPasswd));
  assert.equal(await readFile(join(out, 'etc/group'), 'utf8'), group(extraGroup));
  assert.equal(await readFile(join(out, 'etc/nsswitch.conf'), 'utf8'), 'hosts: files dns\n');
  assert.deepEqual(await readdir(join(out, 'var/empty')), []);
}

describe('fakeNss', () => {
  it('has nixpkgs\' text: extra lines between root and nobody; .override takes a set or a function of the previous arguments', async () => {
    const users = ['alice:x:1000:1000::/home/alice:/bin/sh', 'bob:x:1001:1001::/home/bob:/bin/sh'];
    const groups = ['alice:x:1000:', 'bob:x:1001:'];
    const [plain, extended, refined] = (await buildExpression(`with ${host}; let extended = fakeNss.override {
        extraPasswdLines = ${JSON.stringify(users).replace(/,/g, ' ')};
        extraGroupLines = ${JSON.stringify(groups).replace(/,/g, ' ')};
      }; in [ fakeNss extended (extended.override (old: { extraGroupLines = old.extraGroupLines ++ [ "carol:x:1002:" ]; })) ]`)).split('\n') as [string, string, string];
    await expectFakeNss(plain, [], []);
    await expectFakeNss(extended, users, groups);
    await expectFakeNss(refined, users, [...groups, 'carol:x:1002:']);
  });
});
