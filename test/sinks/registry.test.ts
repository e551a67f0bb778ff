// The registry sink's input checks (sinks/registry.ts), before any request: destinations are
// `host[:port]/repository[:tag]`, never a digest, and at least one. The pushes themselves run
// against a real registry in test/e2e/push*.test.ts.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseDestination, pushImage } from '../../src/sinks/registry.ts';
import { testImage } from '../registry/push-fixture.ts';

const oneLine = (code: string, pattern: RegExp) => (error: Error & { code?: string }) => {
  assert.equal(error.name, 'UserError', error.stack);
  assert.equal(error.code, code);
  assert.ok(!error.message.includes('\n'));
  assert.match(error.message, pattern);
  return true;
};

test('a destination is host[:port]/repository[:tag]', () => {
  assert.deepEqual(parseDestination('localhost:5000/team/app:1'), { registry: 'localhost:5000', repository: 'team/app', tag: '1' });
  assert.deepEqual(parseDestination('registry.example/app'), { registry: 'registry.example', repository: 'app' });
  assert.deepEqual(parseDestination('app:2'), { registry: 'docker.io', repository: 'library/app', tag: '2' });
});

test('a digest, a bad name or no destination at all is one line before any request', async () => {
  assert.throws(() => parseDestination(`localhost:5000/app@sha256:${'a'.repeat(64)}`), oneLine('bad-reference', /^destination "localhost:5000\/app@sha256:a{64}": a push names a tag, not a digest/));
  assert.throws(() => parseDestination('localhost:5000/App:1'), oneLine('bad-reference', /^destination "localhost:5000\/App:1": bad repository component "App"/));
  assert.throws(() => parseDestination('localhost:5000/app:-x'), oneLine('bad-reference', /bad tag "-x"; expected host\[:port\]\/repository\[:tag\]/));
  await assert.rejects(pushImage(testImage('none'), []), oneLine('no-destination', /^no destination to push to; give one as host\[:port\]\/repository\[:tag\]$/));
  // The bad destination is found before the good one is contacted (nothing listens on port 9).
  await assert.rejects(pushImage(testImage('none'), ['127.0.0.1:9/fine:1', 'Bad Name']), oneLine('bad-reference', /^destination "Bad Name"/));
});
