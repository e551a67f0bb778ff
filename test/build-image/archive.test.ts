import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { concatenatedEnv, tagOfOutput } from '../../src/build-image/archive.ts';
import { UserError } from '../../src/errors.ts';
import { parseLossless } from '../../src/json/lossless.ts';
import { pythonJsonDumps } from '../../src/json/python-compat.ts';

describe('buildImage Env (api.md §6.3): base ++ child, duplicates kept', () => {
  it('appends the child Env to the base Env, keeping both values of a key', () => {
    const config = concatenatedEnv(['PATH=/a', 'X=1'], parseLossless('{"Cmd":["x"],"Env":["PATH=/b"]}', 't'));
    assert.equal(pythonJsonDumps(config), pythonJsonDumps(parseLossless('{"Cmd":["x"],"Env":["PATH=/a","X=1","PATH=/b"]}', 't')));
  });

  it('adds the Env key last when the child has none, and treats a null config as empty', () => {
    assert.deepEqual(Object.keys(concatenatedEnv(['A=1'], parseLossless('{"Cmd":["x"],"WorkingDir":"/w"}', 't'))), ['Cmd', 'WorkingDir', 'Env']);
    assert.deepEqual(concatenatedEnv([], null), { Env: [] });
    assert.deepEqual(concatenatedEnv(['A=1'], parseLossless('{"Env":null}', 't')), { Env: ['A=1'] });
  });

  it('keeps numbers as written', () => {
    const config = concatenatedEnv([], parseLossless('{"Healthcheck":{"Interval":30000000000,"Retries":1.0}}', 't'));
    assert.match(pythonJsonDumps(config), /"Interval": 30000000000,\n\s+"Retries": 1\.0/);
  });

  it('rejects an Env that is not a list of strings', () => {
    assert.throws(() => concatenatedEnv([], parseLossless('{"Env":"A=1"}', 't')), UserError);
    assert.throws(() => concatenatedEnv([], parseLossless('[1]', 't')), UserError);
  });
});

describe('the default tag', () => {
  it('is the hash part of the output path', () => {
    assert.equal(tagOfOutput('/nix/store/dzmv6va2j87d2y1q1i7dh22pzs5r5yc0-docker-image-x.tar.gz'), 'dzmv6va2j87d2y1q1i7dh22pzs5r5yc0');
  });
});
