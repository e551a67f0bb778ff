// Which threads `nix-strata stream` uses, decided once for the stream itself (stream.ts) and,
// earlier, from the raw command line, to start them booting while the stream's modules load:
// a worker takes about 0.15 s to boot here, the stream's modules about 0.2 s to load, and the
// stream thread used to wait for the workers after both.
import { existsSync, fstatSync } from 'node:fs';
import { buildCores } from '../build-cores.ts';
import { prestartWorker } from '../hashing/worker-thread.ts';

/** Whether stdout is a pipe the writing thread can open (a descriptor of its own through /proc). */
export function stdoutIsPipe(): boolean {
  try {
    return fstatSync(1).isFIFO() && existsSync('/proc/self/fd/1');
  } catch {
    return false;
  }
}

/** The docker-archive's own compression: `compressor` compresses each layer of the other formats instead. */
export function archiveCompressor<C extends string>(format: string, compressor: C): C | 'none' {
  return format === 'docker-archive' ? compressor : 'none';
}

/** What decides the threads: the sink, whether it goes to a file, and the archive's own compression. */
export interface StreamRoute {
  readonly format: string;
  readonly toFile: boolean;
  /** archiveCompressor's. */
  readonly outer: string;
}

/** An uncompressed docker-archive to a stdout pipe (`| docker load`): written by a thread of its own (hashing/pipe-output.ts). */
export function streamsToPipe(route: StreamRoute): boolean {
  return route.format === 'docker-archive' && !route.toFile && route.outer === 'none' && stdoutIsPipe();
}

/**
 * Prestarts the worker a `stream` of a conf will take (image-source.ts) with two cores or more:
 * the hashing one (the sizing one only serves confs without plans, steps/layer-plans.ts). A guess
 * from `argv` (process.argv) that reads only --conf; a wrong guess costs a worker booted for
 * nothing or one booted late, never a different stream.
 */
export function prestartStreamThreads(argv: readonly string[]): void {
  const fromConf = argv.slice(3).some((arg) => arg === '--conf' || arg.startsWith('--conf='));
  if (fromConf && buildCores() >= 2) prestartWorker('hash-worker');
}
