// Bounded-time fuzzing of the input parsers (fromImage, closure graph, pipeline, spec, conf): each target runs a few seconds of mutated inputs
// in a worker; every case must end in a result or a one-line UserError — never another
// exception, a crash or a hang. FUZZ_SEED replays a run; FUZZ_MILLIS changes its length.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { fuzz, fuzzSeed } from './harness.ts';

const millis = Number(process.env.FUZZ_MILLIS ?? 3000);

// The targets run at the same time, each in its own worker thread.
describe('fuzzing', { concurrency: true }, () => {
  for (const target of ['docker-archive', 'closure-graph', 'pipeline', 'spec-and-conf']) {
    test(`fuzz ${target}: every mutated input ends in a result or a UserError`, async (t) => {
      const seed = fuzzSeed();
      t.diagnostic(`seed ${seed} (replay with FUZZ_SEED=${seed})`);
      const { cases, outcomes } = await fuzz(target, { seed, millis, caseTimeoutMs: 10_000 });
      t.diagnostic(`${cases} cases: ${JSON.stringify(outcomes)}`);
      assert.ok(cases > 20, `too few cases ran (${cases}); seed ${seed}`);
      // A fuzzer that only ever hits one outcome is not exploring: both results and errors occur.
      assert.ok(Object.keys(outcomes).length >= 2, `outcomes ${JSON.stringify(outcomes)}; seed ${seed}`);
    });
  }
});
