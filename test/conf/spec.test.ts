// parseSpec: the conf step's spec, every problem collected, the attrs file named once.
import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { execa } from 'execa';
import { parseSpec } from '../../src/conf/spec.ts';
import { UserError } from '../../src/errors.ts';
import { cli } from '../faults/fixture.ts';

const VALID = {
  version: 1, imageName: 'app', tag: null, architecture: 'amd64',
  created: '1970-01-01T00:00:01Z', mtime: '1970-01-01T00:00:01Z', uid: 0, gid: 0, uname: 'root', gname: 'root',
  maxLayers: 100, layeringStrategy: 'popularity', layeringPipeline: null, fromImage: null,
  baseJson: '/nix/store/b-base.json', customisationLayer: '/nix/store/c-customisation', customisationContents: null,
  includeStorePaths: true, storeDir: '/nix/store', givenLayers: [],
};

function rejects(value: unknown, file: string | undefined, message: string): void {
  assert.throws(() => parseSpec(value, file), (error: unknown) => error instanceof UserError && error.code === 'bad-spec' && error.message === message);
}

test('a valid spec is returned as it is', () => {
  assert.deepEqual(parseSpec(VALID, '/build/.attrs.json'), VALID);
});

test('one problem: the file, then the JSON path', () => {
  rejects({ ...VALID, maxLayers: 'many' }, '/build/.attrs.json', '/build/.attrs.json: spec.maxLayers: expected an integer, got "many"');
  rejects([], '/build/.attrs.json', '/build/.attrs.json: spec: expected an object, got []');
  rejects({ ...VALID, uid: -1 }, undefined, 'spec.uid: expected an integer from 0 to 4294967294, got -1');
});

test('many problems: the file named once, then how many and each problem', () => {
  const { version: _version, imageName: _imageName, ...rest } = VALID;
  const spec = { ...rest, uid: 'root', colour: 'blue' };
  const file = '/build/.attrs.json';
  assert.throws(() => parseSpec(spec, file), (error: unknown) => {
    assert.ok(error instanceof UserError);
    assert.equal(error.message.split(file).length - 1, 1, error.message);
    assert.equal(error.message, `${file}: 4 problems in the spec: spec.colour: unknown field (this builder does not know it; nix/ and the builder are out of step); spec.version: missing; spec.imageName: missing; spec.uid: expected an integer from 0 to 4294967294, got "root"`);
    return true;
  });
});

test('CLI: conf on a spec with 20 problems prints one line naming the attrs file once', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'strata-spec-'));
  const attrs = join(dir, 'attrs.json');
  await writeFile(attrs, JSON.stringify({ spec: { imageName: 7 }, outputs: { out: join(dir, 'out') } }));
  const result = await execa('node', [cli, 'conf', '--attrs', attrs], { reject: false });
  assert.equal(result.exitCode, 1);
  const stderr = String(result.stderr);
  assert.equal(stderr.split('\n').length, 1, stderr);
  assert.equal(stderr.split(attrs).length - 1, 1, stderr);
  assert.match(stderr, new RegExp(`^nix-strata: ${attrs}: 20 problems in the spec: spec\\.version: missing; spec\\.imageName: expected a non-empty string, got 7; `));
});
