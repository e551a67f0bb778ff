// A buildLayeredImage build killed by Nix (issue 14, finding 7): Nix stops a build with SIGKILL
// (Ctrl-C, timeout, max-silent-time), which no handler sees. The archive's temporary file must
// then not stay in the store directory: inside a Nix build it lives in the build directory,
// which Nix deletes (src/sinks/output-target.ts). A real Nix build of a large image is killed
// with `kill -9` while it writes (256 MiB of noise: seconds to compress); then nothing of it but Nix's own .drv and .lock files may be
// left in the store directory, and its build directory must be gone. Needs `npm run build`.
import assert from 'node:assert/strict';
import { readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { execa } from 'execa';
import { repoRoot } from './harness.ts';

const salt = `faults-killed-${process.pid}-${Date.now()}`;
const storeDir = '/nix/store';

const expression = `let n = import ${repoRoot}/test/nix/host.nix { };
  big = n.pkgs.hostBuild "${salt}-big" "mkdir -p $out && head -c ${256 << 20} /dev/urandom > $out/big";
in n.buildLayeredImage { name = "${salt}"; tag = "x"; contents = [ big ]; }`;

const ours = async (): Promise<string[]> => (await readdir(storeDir)).filter((name) => name.includes(salt));

after(async () => {
  // The stand-in, and whatever else this test registered, leave the store again.
  const valid = (await ours()).filter((name) => !name.endsWith('.lock') && !name.startsWith('.')).map((name) => join(storeDir, name));
  if (valid.length > 0) await execa('nix-store', ['--delete', ...valid], { reject: false });
  // Nix leaves the killed build's lock file (nobody holds it any more), and a failing run its
  // temporary file: neither is a store path for nix-store to delete.
  for (const name of await ours()) if (name.endsWith('.lock') || name.startsWith('.')) await rm(join(storeDir, name), { force: true });
});

// Waits for the node process streaming our archive to hold its temporary file open, then
// kills it with SIGKILL, as Nix does; prints its pid. Plain bash over /proc (the trixie root
// has no pgrep), builtins only in the scan, so a short write is not missed.
const killer = `for i in $(seq 1 30000); do
  for dir in /proc/[0-9]*; do
    mapfile -d '' args < "$dir/cmdline" 2>/dev/null || continue
    case "\${args[*]}" in *"nix-strata.js stream "*"$SALT"*) ;; *) continue ;; esac
    if ls -l "$dir/fd" 2>/dev/null | grep -q "$SALT.tar.gz.partial-"; then kill -9 "\${dir#/proc/}" && echo "\${dir#/proc/}" && exit 0; fi
  done
  sleep 0.02
done
exit 1`;

test('kill -9 of a buildLayeredImage builder mid-archive leaves no temporary file in the store', { timeout: 600_000 }, async () => {
  const build = execa('nix-build', ['--no-out-link', '-E', expression], { cwd: repoRoot, reject: false, stdin: 'ignore' });
  const killed = await execa('bash', ['-c', killer], { env: { SALT: salt }, reject: false, timeout: 500_000 });
  assert.equal(killed.exitCode, 0, `the build ended before the archive was written: ${String((await build).stderr).slice(-3000)}`);
  const result = await build;
  assert.notEqual(result.exitCode, 0, 'the killed build failed');
  assert.match(String(result.stderr), /signal 9|Killed/);

  const left = (await ours()).filter((name) => !name.endsWith('.drv') && !name.endsWith('.lock'));
  // The stand-in and the conf were built before the kill; the archive must not be there, half or whole.
  assert.deepEqual(left.filter((name) => name.includes('partial') || name.endsWith('.tar.gz')), [], `left in ${storeDir}: ${left.join(', ')}`);
  const buildDirs = (await readdir(tmpdir())).filter((name) => name.startsWith('nix-build-') && name.includes(salt));
  assert.deepEqual(buildDirs, [], 'Nix removed the build directory (and the temporary file with it)');
});
