// Manifest annotations (image/annotations.ts): the user's keys, plus created from a real `created`.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { manifestAnnotations, parseAnnotations } from '../../src/image/annotations.ts';
import { UserError } from '../../src/errors.ts';

const config = (created: string) => Buffer.from(JSON.stringify({ created }));

test('created comes from the config unless it is the epoch default; the user wins; keys sorted', () => {
  assert.equal(manifestAnnotations(undefined, config('1970-01-01T00:00:01+00:00')), undefined);
  assert.deepEqual(manifestAnnotations(undefined, config('2024-05-01T10:00:00+00:00')), { 'org.opencontainers.image.created': '2024-05-01T10:00:00+00:00' });
  const both = manifestAnnotations({ z: '1', 'org.opencontainers.image.created': 'mine' }, config('2024-05-01T10:00:00+00:00'));
  assert.deepEqual(both, { 'org.opencontainers.image.created': 'mine', z: '1' });
  assert.deepEqual(Object.keys(manifestAnnotations({ b: '1', a: '2' }, config('1970-01-01T00:00:01+00:00'))!), ['a', 'b']);
});

test('--annotations must be a JSON object of strings', () => {
  assert.deepEqual(parseAnnotations('{"a":"b"}', '--annotations'), { a: 'b' });
  assert.throws(() => parseAnnotations('{"a":1}', '--annotations'), (e: unknown) => e instanceof UserError && /object whose values are all strings/.test(e.message));
  assert.throws(() => parseAnnotations('nope', '--annotations'), UserError);
});
