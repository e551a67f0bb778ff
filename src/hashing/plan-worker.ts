// Worker thread of plan-thread.ts: sizes store layers (storeLayerPlan: lstat, readdir, readlink,
// recording the walk) while the stream thread reads the layers before them.
import { parentPort } from 'node:worker_threads';
import { UserError } from '../errors.ts';
import { storeLayerPlan, type StoreLayerOptions } from '../tar/store-layer.ts';
import type { PlanAnswer, PlanRequest } from './plan-protocol.ts';

const port = parentPort;
if (port === null) throw new Error('plan-worker.ts runs only as a worker thread (see plan-thread.ts)');

port.on('message', ({ id, paths, options }: PlanRequest) => {
  let answer: PlanAnswer;
  const transfer: ArrayBuffer[] = [];
  try {
    const plan = storeLayerPlan(paths, options as StoreLayerOptions);
    // The record's own copy, moved to the stream thread rather than copied again.
    const walk = plan.walk === undefined ? undefined : new Uint8Array(plan.walk);
    if (walk !== undefined) transfer.push(walk.buffer);
    answer = { id, size: plan.size, walk };
  } catch (error) {
    answer = error instanceof UserError
      ? { id, error: { code: error.code, message: error.message } }
      : { id, error: { message: error instanceof Error ? error.message : String(error) } };
  }
  port.postMessage(answer, transfer);
});
