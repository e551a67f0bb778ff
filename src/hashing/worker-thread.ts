// Starting the worker thread (hash-worker.ts).
import { Worker, type WorkerOptions } from 'node:worker_threads';

/** Starts a hash-worker.ts thread (or, given its name, another worker module next to this one). */
// The worker module next to this one: .js from dist/; .ts when running under tsx (tests), where
// the worker first loads tsx itself (workers do not inherit the main thread's module hooks).
export function startWorker(options: WorkerOptions, module = 'hash-worker'): Worker {
  if (!import.meta.url.endsWith('.ts')) return new Worker(new URL(`./${module}.js`, import.meta.url), options);
  const tsx = import.meta.resolve('tsx/esm/api');
  const worker = new URL(`./${module}.ts`, import.meta.url).href;
  return new Worker(`import(${JSON.stringify(tsx)}).then((api) => { api.register(); return import(${JSON.stringify(worker)}); })`, { ...options, eval: true });
}

/**
 * Worker settings: a small young generation, because the worker makes only short-lived
 * garbage (messages) and every megabyte of its heap counts against the stream's memory budget.
 */
export const WORKER_OPTIONS: WorkerOptions = { resourceLimits: { maxYoungGenerationSizeMb: 2 } };
