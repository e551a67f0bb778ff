// The stream executable widens the pipe of `stream | docker load` to 1 MiB with util-linux's
// pipesz from its PATH (src/hashing/pipe-capacity.ts): in the trixie root the stand-in links
// /usr/bin/pipesz; on Debian 12, whose util-linux has none, it is a Perl stand-in for the same
// call (test/nix/host-pkgs.nix). Without pipesz the pipe keeps its 64 KiB (test/hashing/pipe-capacity.test.ts).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { execa } from 'execa';
import { buildImages } from './harness.ts';

// Reads the first byte (the stream sizes its pipe before writing any), asks the pipe's size
// (fcntl F_GETPIPE_SZ, 1032: Perl is in every Debian, unlike pipesz), then reads the rest.
// Prints "<pipe size> <bytes in all>".
const READER = 'my $total = sysread(STDIN, my $b, 1); my $size = fcntl(STDIN, 1032, 0); '
  + 'while (my $got = sysread(STDIN, $b, 65536)) { $total += $got } print 0 + $size, " $total";';

test('the stream widens its stdout pipe to 1 MiB', async () => {
  const { bashNoTagStreamLayered: stream } = await buildImages(['bashNoTagStreamLayered']);
  const { stdout } = await execa('bash', ['-o', 'pipefail', '-c', '"$0" 2>/dev/null | perl -e "$1"', stream!.path, READER]);
  const [size, total] = stdout.trim().split(' ').map(Number);
  assert.ok(total! > 1 << 20, `the whole archive (${total} bytes) went through`);
  assert.equal(size, 1 << 20, 'pipesz is on the PATH: a 1 MiB pipe');
});
