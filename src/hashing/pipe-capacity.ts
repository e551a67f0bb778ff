// Widening the stdout pipe of `stream | docker load`. A Linux pipe holds 64 KiB by default, so
// writer and reader take turns every 64 KiB, and on a virtual machine each turn is costly:
// here 1.1 GB from `dd` into `wc -c` took 2.2–3.2 s through 64 KiB and 0.6–1.1 s through 1 MiB,
// and the bench stream went from 1.78x to 1.49x of the read-once limit. Node cannot set a
// pipe's size (fcntl F_SETPIPE_SZ), so util-linux's pipesz does it, on the pipe this process
// inherited: the size belongs to the pipe, not to the descriptor.
import { spawnSync } from 'node:child_process';

/** 1 MiB: Linux's default /proc/sys/fs/pipe-max-size, the most an unprivileged process may ask. */
export const WIDE_PIPE_BYTES = 1 << 20;

/**
 * Asks `program` (pipesz) to make stdout's pipe WIDE_PIPE_BYTES large; true when it did.
 * False, and nothing else happens, when the program is missing or the kernel refuses (a lower
 * pipe-max-size, or the user's pipe quota spent): the stream then runs with the pipe it has.
 */
export function widenStdoutPipe(program = 'pipesz'): boolean {
  const result = spawnSync(program, ['--set', String(WIDE_PIPE_BYTES), '--fd', '1', '--check', '--quiet'], {
    stdio: ['ignore', 'inherit', 'ignore'],
  });
  return result.error === undefined && result.status === 0;
}
