// The one reader of the builder's JSON input files: what the file is, its path and the reason,
// on one line, with the error code of the failure.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { UserError } from '../../src/errors.ts';
import { isJsonObject, isLosslessNumber, stringifyLossless } from '../../src/json/lossless.ts';
import { readInputFile, readJsonFile, readLosslessJsonFile } from '../../src/json/read-file.ts';

const dir = mkdtempSync(join(tmpdir(), 'strata-read-file-'));

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

function userError(code: string, message: RegExp): (error: unknown) => boolean {
  return (error) => error instanceof UserError && error.code === code && message.test(error.message) && !error.message.includes('\n');
}

test('a missing file: "cannot read <what> <path>: <reason>", code <code>-unreadable', async () => {
  const missing = join(dir, 'missing.json');
  for (const read of [readInputFile, readJsonFile, readLosslessJsonFile]) {
    await assert.rejects(read(missing, { what: 'conf', code: 'conf' }), userError('conf-unreadable', /^cannot read conf \S+missing\.json: ENOENT: no such file or directory/));
  }
});

test('JSON spread over lines that is not valid: one line naming what, the path and the expected content', async () => {
  const bad = file('bad.json', '{\n  "a": 1,,\n  "b": 2\n}\n');
  const what = { what: 'layering pipeline', code: 'pipeline', expected: 'a list of pipeline steps' };
  for (const read of [readJsonFile, readLosslessJsonFile]) {
    await assert.rejects(read(bad, what), userError('pipeline-malformed', /^layering pipeline \S+bad\.json is not valid JSON: .+; expected a list of pipeline steps$/));
  }
});

test('the plain reader gives numbers, the lossless one their lexemes', async () => {
  const path = file('numbers.json', '{"float": 1.0, "big": 9007199254740993}');
  assert.deepEqual(await readJsonFile(path, { what: 'x', code: 'x' }), { float: 1, big: 9007199254740992 });
  const lossless = await readLosslessJsonFile(path, { what: 'x', code: 'x' });
  assert.ok(isJsonObject(lossless) && isLosslessNumber(lossless['float']));
  assert.equal(stringifyLossless(lossless), '{"float":1.0,"big":9007199254740993}');
});
