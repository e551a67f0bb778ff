// Seeded fuzzing: a fixed number of a target's cases run in a worker thread, which reports each case
// before running it, so a case that hangs (even in synchronous code) is caught by a watchdog
// here and named with its seed. Every case must end in a result or a UserError.
import { Worker } from 'node:worker_threads';

/** A seeded generator (mulberry32): the same seed gives the same cases. */
export function rng(seed: number): Random {
  let state = seed >>> 0;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const random: Random = {
    next,
    int: (min, max) => min + Math.floor(next() * (max - min + 1)),
    pick: (items) => items[Math.floor(next() * items.length)]!,
    chance: (p) => next() < p,
  };
  return random;
}

/** The operations cases draw from. */
export interface Random {
  next(): number;
  /** An integer in [min, max]. */
  int(min: number, max: number): number;
  pick<T>(items: readonly T[]): T;
  chance(p: number): boolean;
}

/** One generated input: a description (for the failure report) and the code under test. */
export interface FuzzCase {
  readonly description: string;
  run(): unknown;
}

/** A fuzz target: prepares shared inputs once, then makes cases from a Random. */
export interface FuzzTarget {
  setup(): Promise<unknown>;
  makeCase(random: Random, context: unknown, index: number): FuzzCase;
  teardown?(context: unknown): Promise<void>;
}

/** Messages from the worker. */
export type WorkerMessage =
  | { readonly kind: 'case'; readonly index: number; readonly description: string }
  | { readonly kind: 'unexpected'; readonly index: number; readonly description: string; readonly error: string }
  | { readonly kind: 'done'; readonly cases: number; readonly outcomes: Record<string, number> };

/** The run's default seed: every run makes the same cases unless $FUZZ_SEED says otherwise. */
export const defaultFuzzSeed = 20_261_301;

/** The seed: $FUZZ_SEED (to replay a failure or explore others), else the fixed default. */
export function fuzzSeed(): number {
  const fixed = process.env.FUZZ_SEED;
  return fixed !== undefined && fixed !== '' ? Number(fixed) >>> 0 : defaultFuzzSeed;
}

/** Runs `cases` cases of `target` in a worker; resolves with the case count and outcome tally, rejects naming seed and case. */
export function fuzz(target: string, options: { seed: number; cases: number; caseTimeoutMs: number }): Promise<{ cases: number; outcomes: Record<string, number> }> {
  const api = import.meta.resolve('tsx/esm/api');
  const worker = new URL('./worker.ts', import.meta.url).href;
  // The worker registers tsx itself: workers do not inherit the test runner's --import.
  const code = `import(${JSON.stringify(api)}).then((m) => { m.register(); return import(${JSON.stringify(worker)}); })`;
  const thread = new Worker(code, { eval: true, workerData: { target, seed: options.seed, cases: options.cases } });
  const replay = `replay with FUZZ_SEED=${options.seed}`;
  return new Promise((resolve, reject) => {
    let current = 'before the first case';
    let watchdog: NodeJS.Timeout | undefined;
    const arm = () => {
      clearTimeout(watchdog);
      watchdog = setTimeout(() => {
        void thread.terminate();
        reject(new Error(`fuzz ${target}: ${current} did not finish within ${options.caseTimeoutMs} ms (a hang); ${replay}`));
      }, options.caseTimeoutMs);
    };
    arm();
    thread.on('message', (message: WorkerMessage) => {
      if (message.kind === 'case') {
        current = `case ${message.index} (${message.description})`;
        arm();
      } else if (message.kind === 'unexpected') {
        clearTimeout(watchdog);
        void thread.terminate();
        reject(new Error(`fuzz ${target}: case ${message.index} (${message.description}) threw something other than a UserError; ${replay}\n${message.error}`));
      } else {
        clearTimeout(watchdog);
        void thread.terminate();
        resolve({ cases: message.cases, outcomes: message.outcomes });
      }
    });
    thread.on('error', (error) => {
      clearTimeout(watchdog);
      reject(new Error(`fuzz ${target}: the worker crashed during ${current}; ${replay}\n${error.stack ?? String(error)}`));
    });
    thread.on('exit', (code) => {
      clearTimeout(watchdog);
      reject(new Error(`fuzz ${target}: the worker exited (code ${code}) during ${current}; ${replay}`));
    });
  });
}
