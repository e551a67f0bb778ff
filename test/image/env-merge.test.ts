import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mergeEnv } from '../../src/image/env-merge.ts';
import { parseLossless, type JsonValue } from '../../src/json/lossless.ts';

const json = (text: string): JsonValue => parseLossless(text, 'test');
const base = (env: string[] | undefined): JsonValue => ({ config: env === undefined ? {} : { Env: env } });

test('api.md §6.2 examples (H8)', () => {
  const table: Array<[string[] | undefined, string[] | undefined, string[] | undefined]> = [
    [['PATH=/a', 'X=1'], ['PATH=/b'], ['PATH=/b', 'X=1']],
    [['FROM_PARENT=true', 'LAST_LAYER=parent'], ['FROM_CHILD=true', 'LAST_LAYER=child'], ['FROM_PARENT=true', 'LAST_LAYER=child', 'FROM_CHILD=true']],
    [undefined, ['A=1', 'A=2'], ['A=2']],
    [['NOEQ'], ['NOEQ'], ['NOEQ']],
  ];
  for (const [baseEnv, childEnv, expected] of table) {
    const child: JsonValue = childEnv === undefined ? {} : { Env: childEnv };
    assert.deepEqual((mergeEnv(base(baseEnv), child) as { Env?: string[] }).Env, expected);
  }
});

test('a new Env key goes after all existing keys; an existing one keeps its place', () => {
  const added = mergeEnv(base(['A=1']), json('{"Cmd":["x"],"User":"u"}')) as object;
  assert.deepEqual(Object.keys(added), ['Cmd', 'User', 'Env']);
  const kept = mergeEnv(base(['A=1']), json('{"Cmd":["x"],"Env":["B=2"],"User":"u"}')) as object;
  assert.deepEqual(Object.keys(kept), ['Cmd', 'Env', 'User']);
  assert.deepEqual((kept as { Env: string[] }).Env, ['A=1', 'B=2']);
});

test('empty merge leaves the child untouched, including "Env": []', () => {
  const child = json('{"Env":[]}');
  assert.equal(mergeEnv(base([]), child), child);
  const noEnv = json('{"Cmd":[]}');
  assert.equal(mergeEnv(base(undefined), noEnv), noEnv);
});

test('missing or null base config/Env and a null child config count as empty (nixpkgs crashes)', () => {
  assert.deepEqual(mergeEnv(json('{}'), json('{"Env":["A=1","A=2"]}')), { Env: ['A=2'] });
  assert.deepEqual(mergeEnv(json('{"config":null}'), json('{"Env":["A=1"]}')), { Env: ['A=1'] });
  assert.deepEqual(mergeEnv(json('{"config":{"Env":null}}'), json('{"Env":["A=1"]}')), { Env: ['A=1'] });
  assert.deepEqual(mergeEnv(base(['X=1']), null), { Env: ['X=1'] });
  assert.equal(mergeEnv(base([]), null), null);
});

test('a non-list Env is a UserError', () => {
  assert.throws(() => mergeEnv(json('{"config":{"Env":"A=1"}}'), {}), (error: Error) => error.name === 'UserError' && /base image config\.Env/.test(error.message));
});
