// Seeded fuzzing of the input parsers (fromImage, closure graph, pipeline, spec, conf): each
// target runs a fixed number of mutated inputs in a worker; every case must end in a result or
// a one-line UserError — never another exception, a crash or a hang. The seed is fixed per run
// and printed, so a run is reproducible: FUZZ_SEED replays (or varies) it, FUZZ_CASES sets the
// number of cases of every target.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { fuzz, fuzzSeed } from './harness.ts';

// Per target, about a second of cases on an idle machine (their costs differ a hundredfold).
const defaultCases: Record<string, number> = { 'docker-archive': 60, 'closure-graph': 4000, pipeline: 4000, 'spec-and-conf': 300 };
const casesOverride = process.env.FUZZ_CASES ? Number(process.env.FUZZ_CASES) : undefined;
const seed = fuzzSeed();

// The targets run at the same time, each in its own worker thread.
describe(`fuzzing (seed ${seed}; replay with FUZZ_SEED=${seed})`, { concurrency: true }, () => {
  for (const [target, count] of Object.entries(defaultCases)) {
    test(`fuzz ${target}: every mutated input ends in a result or a UserError`, async (t) => {
      const { cases, outcomes } = await fuzz(target, { seed, cases: casesOverride ?? count, caseTimeoutMs: 10_000 });
      t.diagnostic(`seed ${seed}, ${cases} cases: ${JSON.stringify(outcomes)}`);
      assert.equal(cases, casesOverride ?? count, `seed ${seed}`);
      // A fuzzer that only ever hits one outcome is not exploring: both results and errors occur.
      assert.ok(Object.keys(outcomes).length >= 2, `outcomes ${JSON.stringify(outcomes)}; seed ${seed}`);
    });
  }
});
