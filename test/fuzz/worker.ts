// The fuzz worker: runs a fixed number of one target's cases, reporting each case before it
// runs (the harness's watchdog relies on that) and any error that is not a UserError.
import { parentPort, workerData } from 'node:worker_threads';
import { rng, type FuzzTarget, type WorkerMessage } from './harness.ts';
import { targets } from './targets.ts';

const { target: name, seed, cases } = workerData as { target: string; seed: number; cases: number };
const target: FuzzTarget | undefined = targets[name];
if (!target) throw new Error(`unknown fuzz target ${name}`);
const post = (message: WorkerMessage) => parentPort!.postMessage(message);

const random = rng(seed);
const context = await target.setup();
const outcomes: Record<string, number> = {};
let index = 0;
for (; index < cases; index++) {
  const fuzzCase = target.makeCase(random, context, index);
  post({ kind: 'case', index, description: fuzzCase.description });
  try {
    await fuzzCase.run();
    outcomes.ok = (outcomes.ok ?? 0) + 1;
  } catch (error) {
    if (error instanceof Error && error.name === 'UserError') {
      // A message with a raw newline is still a clean error (the CLI escapes it when printing),
      // but is tallied apart so the report shows it; test/faults/one-line.test.ts pins the fix.
      const code = `${error.message.includes('\n') ? 'multi-line:' : ''}${(error as { code?: string }).code ?? 'user'}`;
      outcomes[code] = (outcomes[code] ?? 0) + 1;
    } else {
      post({ kind: 'unexpected', index, description: fuzzCase.description, error: error instanceof Error ? (error.stack ?? error.message) : String(error) });
      break;
    }
  }
}
await target.teardown?.(context);
post({ kind: 'done', cases: index, outcomes });
