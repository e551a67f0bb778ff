// Hashes store layers on worker threads, so several layers are read and hashed at once (the
// store is on disk or in the page cache; sha256 is the CPU cost). Requests are served in the
// order they arrive; callers keep their own order by awaiting the promises they hold.
import { availableParallelism } from 'node:os';
import { Worker, type WorkerOptions } from 'node:worker_threads';
import { parseDigest } from '../digest/digest.ts';
import { UserError } from '../errors.ts';
import type { StoreLayerHasher, StoreLayerIdentity } from '../sources/store-paths.ts';
import type { StoreLayerOptions } from '../tar/store-layer.ts';
import type { HashRequest, HashResponse } from './hash-worker.ts';

/** Cores to use: NIX_BUILD_CORES inside a Nix build (0 or unset means all available). */
export function buildCores(env: NodeJS.ProcessEnv = process.env): number {
  const fromNix = Number(env.NIX_BUILD_CORES);
  return Number.isSafeInteger(fromNix) && fromNix > 0 ? fromNix : availableParallelism();
}

/** Starts a hash-worker.ts thread. */
// The worker module next to this one: .js from dist/; .ts when running under tsx (tests), where
// the worker first loads tsx itself (workers do not inherit the main thread's module hooks).
export function startWorker(options: WorkerOptions): Worker {
  if (!import.meta.url.endsWith('.ts')) return new Worker(new URL('./hash-worker.js', import.meta.url), options);
  const tsx = import.meta.resolve('tsx/esm/api');
  const worker = new URL('./hash-worker.ts', import.meta.url).href;
  return new Worker(`import(${JSON.stringify(tsx)}).then((api) => { api.register(); return import(${JSON.stringify(worker)}); })`, { ...options, eval: true });
}

/**
 * Worker settings: a small young generation, because the tar walk makes only short-lived
 * garbage (stat results, names) and every megabyte of a worker's heap counts against the
 * stream's memory budget.
 */
export const WORKER_OPTIONS: WorkerOptions = { resourceLimits: { maxYoungGenerationSizeMb: 2 } };

interface Job {
  readonly request: HashRequest;
  resolve(identity: StoreLayerIdentity): void;
  reject(error: Error): void;
}

/** A fixed number of hashing threads, started on first use and stopped by `close`. */
export class HashPool {
  private readonly idle: Worker[] = [];
  private readonly busy = new Map<Worker, Job>();
  private readonly queue: Job[] = [];
  private nextId = 0;
  private closed = false;

  constructor(readonly size: number = buildCores()) {
    if (!(Number.isSafeInteger(size) && size > 0)) throw new Error(`HashPool: size must be a positive integer, got ${size}`);
  }

  /** The identity of the store layer of `paths`, computed on a worker. */
  hash(paths: readonly string[], options: StoreLayerOptions): Promise<StoreLayerIdentity> {
    if (this.closed) return Promise.reject(new Error('HashPool: used after close()'));
    return new Promise((resolve, reject) => {
      this.queue.push({ request: { id: this.nextId++, paths: [...paths], options: { ...options } }, resolve, reject });
      this.dispatch();
    });
  }

  /** `hash` as a StoreLayerHasher for storePathsLayer. */
  readonly hasher: StoreLayerHasher = (paths, options) => this.hash(paths, options);

  /** Stops the workers; pending requests fail. */
  async close(): Promise<void> {
    this.closed = true;
    for (const job of this.queue.splice(0)) job.reject(new Error('HashPool: closed before the layer was hashed'));
    const workers = [...this.idle.splice(0), ...this.busy.keys()];
    for (const [, job] of this.busy) job.reject(new Error('HashPool: closed before the layer was hashed'));
    this.busy.clear();
    // An idle worker is unref'd; ref it so the process waits for its exit instead of quitting
    // with this promise unsettled.
    await Promise.all(workers.map((worker) => {
      worker.ref();
      return worker.terminate();
    }));
  }

  private dispatch(): void {
    while (this.queue.length > 0) {
      const worker = this.idle.pop() ?? (this.idle.length + this.busy.size < this.size ? this.spawn() : undefined);
      if (worker === undefined) return;
      const job = this.queue.shift()!;
      this.busy.set(worker, job);
      // A busy worker keeps the process alive; an idle one must not.
      worker.ref();
      worker.postMessage(job.request);
    }
  }

  private spawn(): Worker {
    const worker = startWorker(WORKER_OPTIONS);
    worker.on('message', (response: HashResponse) => {
      // After close() a late answer must not unref a worker being terminated: the process
      // would quit with close() unsettled (exit code 13).
      if (this.closed) return;
      const job = this.busy.get(worker);
      this.busy.delete(worker);
      worker.unref();
      this.idle.push(worker);
      if (job !== undefined && job.request.id === response.id) settle(job, response);
      this.dispatch();
    });
    worker.on('error', (error: Error) => this.lose(worker, error));
    worker.on('exit', (code) => {
      if (!this.closed) this.lose(worker, new Error(`hash worker exited with code ${code}`));
    });
    return worker;
  }

  // A worker died (out of memory, a bug): its job fails, and the next request starts a new one.
  private lose(worker: Worker, error: Error): void {
    const job = this.busy.get(worker);
    this.busy.delete(worker);
    const at = this.idle.indexOf(worker);
    if (at >= 0) this.idle.splice(at, 1);
    job?.reject(error);
    this.dispatch();
  }
}

function settle(job: Job, response: HashResponse): void {
  if ('error' in response) {
    const { message, code, stack } = response.error;
    if (code !== undefined) {
      job.reject(new UserError(code, message));
      return;
    }
    const error = new Error(message);
    if (stack !== undefined) error.stack = stack;
    job.reject(error);
    return;
  }
  job.resolve({ digest: parseDigest(response.digest, 'hash worker'), size: response.size });
}
