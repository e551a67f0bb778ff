// Sizes store layers on a thread of their own. A layer's size needs a metadata walk of its
// trees (lstat of every entry: on a closure of tens of thousands of files about as costly as
// reading the contents); done on the stream thread, it would stop the stream between layers
// while the hashing thread and the pipe sit idle. Asked for every layer up front, this thread
// walks the next layers while the stream reads the current one. Confs with a plan file
// (steps/layer-plans.ts) need none of this: their layers were sized at build time.
import type { Worker } from 'node:worker_threads';
import { UserError } from '../errors.ts';
import type { StoreLayerOptions, StoreLayerPlan } from '../tar/store-layer.ts';
import type { PlanAnswer, PlanRequest } from './plan-protocol.ts';
import { startWorker, WORKER_OPTIONS } from './worker-thread.ts';

/** One worker that sizes store layers, in the order asked. */
export class PlanThread {
  private worker: Worker | undefined;
  private nextId = 0;
  private readonly waiting = new Map<number, { resolve: (plan: StoreLayerPlan) => void; reject: (error: Error) => void }>();

  /** The plan of the store layer of `paths` (storeLayerPlan's, computed on the thread). */
  plan(paths: readonly string[], options: StoreLayerOptions): Promise<StoreLayerPlan> {
    const worker = this.worker ?? this.spawn();
    const id = this.nextId++;
    if (this.waiting.size === 0) worker.ref();
    const planned = new Promise<StoreLayerPlan>((resolve, reject) => this.waiting.set(id, { resolve, reject }));
    worker.postMessage({ id, paths, options } satisfies PlanRequest);
    return planned;
  }

  /** Stops the worker. */
  async close(): Promise<void> {
    const worker = this.worker;
    this.worker = undefined;
    worker?.ref();
    await worker?.terminate();
    for (const { reject } of this.waiting.values()) reject(new Error('the sizing thread was stopped'));
    this.waiting.clear();
  }

  private spawn(): Worker {
    const worker = startWorker(WORKER_OPTIONS, 'plan-worker');
    worker.on('message', (answer: PlanAnswer) => {
      const waiter = this.waiting.get(answer.id);
      if (waiter === undefined) return;
      this.waiting.delete(answer.id);
      // Nothing left to size (every layer is asked for at once): the thread's memory goes back
      // before the stream's peak; a later plan() starts another.
      if (this.waiting.size === 0 && this.worker === worker) {
        this.worker = undefined;
        void worker.terminate();
      }
      if ('error' in answer) {
        const { code, message } = answer.error;
        waiter.reject(code === undefined ? new Error(message) : new UserError(code, message));
      } else {
        waiter.resolve({ size: answer.size, walk: answer.walk === undefined ? undefined : Buffer.from(answer.walk.buffer, answer.walk.byteOffset, answer.walk.byteLength) });
      }
    });
    worker.on('error', (error: Error) => {
      for (const { reject } of this.waiting.values()) reject(error);
      this.waiting.clear();
    });
    this.worker = worker;
    return worker;
  }
}
