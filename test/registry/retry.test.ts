// Which registry failures are retried (registry/retry.ts), how often, and what the last error says.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { UserError } from '../../src/errors.ts';
import { isRefused, isTransient, RegistryStatusError, withRetries } from '../../src/registry/retry.ts';

const network = (code: string) => new UserError('registry-unreachable', `x: cannot reach y: ${code}`, { cause: Object.assign(new Error(code), { code }) });

test('5xx, 429, resets, refusals and stalls are transient; auth, 4xx, a full disk and unknown hosts are not', () => {
  assert.ok(isTransient(new RegistryStatusError('registry-http', 503, 'x')));
  assert.ok(isTransient(new RegistryStatusError('registry-http', 429, 'x')));
  assert.ok(isTransient(network('ECONNRESET')));
  assert.ok(isTransient(network('ECONNREFUSED')));
  assert.ok(isTransient(new UserError('registry-timeout', 'x')));
  assert.ok(!isTransient(new RegistryStatusError('registry-storage-full', 500, 'x')));
  assert.ok(!isTransient(new RegistryStatusError('registry-auth', 403, 'x')));
  assert.ok(!isTransient(new RegistryStatusError('registry-http', 400, 'x')));
  assert.ok(!isTransient(network('ENOTFOUND')));
  assert.ok(!isTransient(new Error('a bug')));
});

test('retries a transient failure until it passes, with doubling waits', async () => {
  const waits: number[] = [];
  let calls = 0;
  const result = await withRetries({ attempts: 4, firstDelayMs: 1 }, async () => {
    calls++;
    if (calls < 3) throw network('ECONNRESET');
    return 'done';
  }, (_error, _attempt, delay) => waits.push(delay));
  assert.equal(result, 'done');
  assert.equal(calls, 3);
  assert.deepEqual(waits, [1, 2]);
});

test('stops after the last attempt and says how many were made; a lasting failure is thrown at once', async () => {
  let calls = 0;
  await assert.rejects(withRetries({ attempts: 3, firstDelayMs: 1 }, async () => {
    calls++;
    throw new RegistryStatusError('registry-http', 502, 'manifest for r/a:1: HTTP 502');
  }), (error: UserError) => error.code === 'registry-http' && error.message === 'manifest for r/a:1: HTTP 502 (after 3 attempts)');
  assert.equal(calls, 3);
  calls = 0;
  await assert.rejects(withRetries({ attempts: 3, firstDelayMs: 1 }, async () => {
    calls++;
    throw new RegistryStatusError('registry-auth', 403, 'denied');
  }), /^UserError: denied$/);
  assert.equal(calls, 1);
});

test('a refused connection is told apart (the push retries it only once the registry has answered)', () => {
  assert.ok(isRefused(network('ECONNREFUSED')));
  assert.ok(!isRefused(network('ECONNRESET')));
  assert.ok(!isRefused(new RegistryStatusError('registry-http', 503, 'x')));
});
