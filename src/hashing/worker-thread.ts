// Starting the worker threads (hash-worker.ts, plan-worker.ts), now or ahead of need.
import { Worker, type WorkerOptions } from 'node:worker_threads';

/**
 * Worker settings: a small young generation, because the worker makes only short-lived
 * garbage (messages) and every megabyte of its heap counts against the stream's memory budget.
 */
export const WORKER_OPTIONS: WorkerOptions = { resourceLimits: { maxYoungGenerationSizeMb: 2 } };

// Workers prestarted with WORKER_OPTIONS, by module, each with whether it failed while spare.
const spares = new Map<string, { worker: Worker; failed: boolean; onError: () => void }>();

/**
 * Starts a hash-worker.ts thread (or, given its name, another worker module next to this one):
 * the one prestartWorker started for it, if any and still sound, else a new one.
 */
export function startWorker(options: WorkerOptions, module = 'hash-worker'): Worker {
  const spare = options === WORKER_OPTIONS ? spares.get(module) : undefined;
  if (spare !== undefined) {
    spares.delete(module);
    spare.worker.off('error', spare.onError);
    if (!spare.failed) return spare.worker;
  }
  return spawnWorker(options, module);
}

/**
 * Starts a `module` worker now, for the next startWorker(WORKER_OPTIONS, module) to take. A
 * worker takes about 0.15 s to boot here; started before the stream's modules load, it boots
 * meanwhile instead of after them. It does not keep the process alive while spare.
 */
export function prestartWorker(module: string): void {
  if (spares.has(module)) return;
  // A failure while spare is not reported: the taker starts a new worker, whose error it sees.
  const spare = { worker: spawnWorker(WORKER_OPTIONS, module), failed: false, onError: () => { spare.failed = true; } };
  spare.worker.unref();
  spare.worker.on('error', spare.onError);
  spares.set(module, spare);
}

/** Whether a prestarted `module` worker waits to be taken. */
export function hasSpare(module: string): boolean {
  return spares.has(module);
}

// The worker module next to this one: .js from dist/; .ts when running under tsx (tests), where
// the worker first loads tsx itself (workers do not inherit the main thread's module hooks).
function spawnWorker(options: WorkerOptions, module: string): Worker {
  if (!import.meta.url.endsWith('.ts')) return new Worker(new URL(`./${module}.js`, import.meta.url), options);
  const tsx = import.meta.resolve('tsx/esm/api');
  const worker = new URL(`./${module}.ts`, import.meta.url).href;
  return new Worker(`import(${JSON.stringify(tsx)}).then((api) => { api.register(); return import(${JSON.stringify(worker)}); })`, { ...options, eval: true });
}
