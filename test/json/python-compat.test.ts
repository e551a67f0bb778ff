import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseLossless, stringifyLossless } from '../../src/json/lossless.ts';
import { pythonFloatRepr, pythonJsonDumps, pythonListRepr, pythonNumber, pythonStrRepr, sourceKeyOrder } from '../../src/json/python-compat.ts';

// Expected strings below were produced by CPython 3 (json.dumps(indent=4), repr()).

test('json.dumps layout: empty containers, nesting, escapes, big integers, overflowing floats', () => {
  const value = parseLossless(
    '{"a": [], "b": {}, "c": [1, {"d": "\\u00e9\\ud83d\\ude00\\u007f/\\b\\f\\n\\r\\t\\"\\\\\\u0001"}], "n": 18446744073709551617, "f": 1e400}',
    'test',
  );
  assert.equal(pythonJsonDumps(value), [
    '{',
    '    "a": [],',
    '    "b": {},',
    '    "c": [',
    '        1,',
    '        {',
    '            "d": "\\u00e9\\ud83d\\ude00\\u007f/\\b\\f\\n\\r\\t\\"\\\\\\u0001"',
    '        }',
    '    ],',
    '    "n": 18446744073709551617,',
    '    "f": Infinity',
    '}',
  ].join('\n'));
});

test('numbers: int/float distinction survives a round trip through the parser', () => {
  const value = parseLossless('[-0, 1.0, 1E2, 1e-7, 2.50, 9007199254740993]', 'test');
  assert.equal(pythonJsonDumps(value), '[\n    0,\n    1.0,\n    100.0,\n    1e-07,\n    2.5,\n    9007199254740993\n]');
  assert.equal(stringifyLossless(value), '[-0,1.0,1E2,1e-7,2.50,9007199254740993]');
});

test('float repr matches CPython', () => {
  const cases: Array<[number, string]> = [
    [1e16, '1e+16'], [1e15, '1000000000000000.0'], [1e-5, '1e-05'], [0.0001, '0.0001'],
    [1.5e300, '1.5e+300'], [-0, '-0.0'], [123456789012345680000, '1.2345678901234568e+20'],
    [0.1 + 0.2, '0.30000000000000004'], [1, '1.0'], [100, '100.0'], [5e-324, '5e-324'],
    [1.7976931348623157e308, '1.7976931348623157e+308'], [12345.678, '12345.678'], [0.00012, '0.00012'],
  ];
  for (const [input, expected] of cases) assert.equal(pythonFloatRepr(input), expected, String(input));
  assert.equal(pythonNumber('0.10'), '0.1');
  assert.equal(pythonNumber('-12'), '-12');
});

test('str repr: quote choice and escapes match CPython', () => {
  assert.equal(pythonStrRepr("a\x00\xa0\u00e9\u{1f600}\\'"), `"a\\x00\\xa0\u00e9\u{1f600}\\\\'"`);
  assert.equal(pythonStrRepr("it's"), `"it's"`);
  assert.equal(pythonStrRepr(`it's "q"`), `'it\\'s "q"'`);
  assert.equal(pythonStrRepr('\x7f\u2028\ud800'), `'\\x7f\\u2028\\ud800'`);
  assert.equal(pythonListRepr(['/nix/store/a', '/nix/store/b']), "['/nix/store/a', '/nix/store/b']");
  assert.equal(pythonListRepr([]), '[]');
});

test('a bad JSON text is a UserError naming its source', () => {
  assert.throws(() => parseLossless('{"a": ', 'conf.json'), (error: Error) => error.name === 'UserError' && /^conf\.json: /.test(error.message));
});

test('integer-like keys are written in the source (byte-sorted) order, not JS numeric order', () => {
  const value = parseLossless('{"!a":1,"1":2,"10":3,"9":4,"a":5}', 'test');
  assert.deepEqual(Object.keys(value as object), ['1', '9', '10', '!a', 'a']);
  assert.equal(pythonJsonDumps(value), '{\n    "!a": 1,\n    "1": 2,\n    "10": 3,\n    "9": 4,\n    "a": 5\n}');
  // A key appended after Nix's sorted keys (the Env merge) stays last.
  assert.deepEqual(sourceKeyOrder(['Labels', '2', 'Env']), ['2', 'Labels', 'Env']);
});
