import assert from 'node:assert/strict';
import { test } from 'node:test';
import { normaliseDate, normaliseMtime, parseToUnixSeconds, resolveCreated, resolveMtime } from '../../src/image/date.ts';

test('accepted forms normalise to YYYY-MM-DDTHH:MM:SS+00:00', () => {
  const cases: Array<[string, string]> = [
    ['1970-01-01T00:00:01Z', '1970-01-01T00:00:01+00:00'],
    ['2024-03-04T05:06:07.999Z', '2024-03-04T05:06:07+00:00'],
    ['2024-03-04T05:06:07+02:30', '2024-03-04T02:36:07+00:00'],
    ['2024-03-04T23:30:00-01:00', '2024-03-05T00:30:00+00:00'],
    ['2024-01-01', '2024-01-01T00:00:00+00:00'],
    ['2024-02-29t12:00:00z', '2024-02-29T12:00:00+00:00'],
    ['now', 'now'],
  ];
  for (const [input, expected] of cases) assert.equal(normaliseDate(input, 'created'), expected, input);
  assert.equal(parseToUnixSeconds('1970-01-01T00:00:01Z', 'mtime'), 1);
  assert.equal(parseToUnixSeconds('1970-01-01T01:00:01.5+01:00', 'mtime'), 1);
});

test('anything else is a UserError naming the argument', () => {
  for (const bad of ['', 'yesterday', '@1700000000', '2024-02-30', '2024-13-01', '2024-01-01T24:00:00Z', '2024-01-01T12:00:00', '2024-1-1', 'NOW']) {
    assert.throws(() => normaliseDate(bad, 'mtime'), (error: Error) => error.name === 'UserError' && error.message.startsWith('mtime: '), bad);
  }
});

test('"now" resolves with microseconds, the fraction omitted when 0', () => {
  assert.equal(resolveCreated('now', { seconds: 1741064767, micros: 123456 }), '2025-03-04T05:06:07.123456+00:00');
  assert.equal(resolveCreated('now', { seconds: 1741064767, micros: 42 }), '2025-03-04T05:06:07.000042+00:00');
  assert.equal(resolveCreated('now', { seconds: 1741064767, micros: 0 }), '2025-03-04T05:06:07+00:00');
  assert.equal(resolveCreated('1970-01-01T00:00:01+00:00', { seconds: 5, micros: 5 }), '1970-01-01T00:00:01+00:00');
  assert.equal(resolveMtime('now', { seconds: 1741064767, micros: 999999 }), 1741064767);
  assert.equal(resolveMtime(1, { seconds: 9, micros: 0 }), 1);
});

test('mtime normalises to Unix seconds or "now"', () => {
  assert.equal(normaliseMtime('1970-01-01T00:00:01Z', 'mtime'), 1);
  assert.equal(normaliseMtime('2024-01-01', 'mtime'), 1704067200);
  assert.equal(normaliseMtime('now', 'mtime'), 'now');
  assert.throws(() => normaliseMtime('soon', 'mtime'), /^UserError: mtime: /);
});

test('years 0000–0099 are years, not 19xx; leap days follow the Gregorian rule', () => {
  assert.equal(normaliseDate('0001-01-01T00:00:00Z', 'created'), '0001-01-01T00:00:00+00:00');
  assert.equal(normaliseDate('0099-12-31', 'created'), '0099-12-31T00:00:00+00:00');
  assert.equal(normaliseDate('0000-02-29', 'created'), '0000-02-29T00:00:00+00:00');
  assert.equal(normaliseDate('2000-02-29', 'created'), '2000-02-29T00:00:00+00:00');
  assert.equal(parseToUnixSeconds('0000-01-01T00:00:00Z', 'mtime'), -62167219200);
  for (const bad of ['1900-02-29', '2023-02-29', '2023-02-30', '2023-04-31', '2016-12-31T23:59:60Z']) {
    assert.throws(() => normaliseDate(bad, 'created'), /^UserError: created: cannot parse/, bad);
  }
});

test('an offset that carries the date outside 0000–9999 is refused, not written as "+010000-…"', () => {
  assert.equal(normaliseDate('9999-12-31T23:59:59+01:00', 'created'), '9999-12-31T22:59:59+00:00');
  assert.throws(() => normaliseDate('9999-12-31T23:59:59-00:01', 'created'), /outside the years 0000–9999 in UTC/);
  assert.throws(() => normaliseDate('0000-01-01T00:00:00+00:01', 'mtime'), /^UserError: mtime: .*outside the years 0000–9999/);
});
