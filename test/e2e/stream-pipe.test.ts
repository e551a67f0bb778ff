// The stream executable widens the pipe of `stream | docker load` to 1 MiB where util-linux's
// pipesz is on its PATH (src/hashing/pipe-capacity.ts): in the trixie root, whose stand-in links
// /usr/bin/pipesz; on Debian 12, which has none, the pipe keeps its 64 KiB.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { test } from 'node:test';
import { execa } from 'execa';
import { buildImages } from './harness.ts';

// Reads the first byte (the stream sizes its pipe before writing any), asks the pipe's size
// (fcntl F_GETPIPE_SZ, 1032: Perl is in every Debian, unlike pipesz), then reads the rest.
// Prints "<pipe size> <bytes in all>".
const READER = 'my $total = sysread(STDIN, my $b, 1); my $size = fcntl(STDIN, 1032, 0); '
  + 'while (my $got = sysread(STDIN, $b, 65536)) { $total += $got } print 0 + $size, " $total";';

test('the stream widens its stdout pipe to 1 MiB where pipesz is there, else keeps 64 KiB', async () => {
  const { bashNoTagStreamLayered: stream } = await buildImages(['bashNoTagStreamLayered']);
  const { stdout } = await execa('bash', ['-o', 'pipefail', '-c', '"$0" 2>/dev/null | perl -e "$1"', stream!.path, READER]);
  const [size, total] = stdout.trim().split(' ').map(Number);
  assert.ok(total! > 1 << 20, `the whole archive (${total} bytes) went through`);
  const widened = existsSync('/usr/bin/pipesz');
  assert.equal(size, widened ? 1 << 20 : 64 << 10, widened ? 'pipesz is on the PATH: a 1 MiB pipe' : 'no pipesz: the default 64 KiB pipe');
});
