import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { execa } from 'execa';
import { formatInspection, inspectArchive, parseStorePathsComment } from '../../src/steps/inspect.ts';
import { writeDockerArchive } from '../../src/sinks/docker-archive.ts';
import { collect, recordingLogger, VECTOR_C_PATHS, vectorImage } from '../sinks/vectors.ts';

test('history comments parse back into their strings', () => {
  assert.deepEqual(parseStorePathsComment("store paths: ['/nix/store/a', '/nix/store/b']"), ['/nix/store/a', '/nix/store/b']);
  assert.deepEqual(parseStorePathsComment(`store paths: ["it's.tar"]`), ["it's.tar"]);
  assert.deepEqual(parseStorePathsComment(`store paths: ['a\\'b"c']`), [`a'b"c`]);
  assert.deepEqual(parseStorePathsComment('created by docker'), []);
});

test('inspect summarises a zstd archive: layers with store paths, config, image ID', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'strata-inspect-'));
  const archive = await collect(async (output) => writeDockerArchive(await vectorImage(), output, { repoTags: ['test:latest'], mtime: 1, log: recordingLogger() }));
  const path = join(dir, 'image.tar.zst');
  await writeFile(path, (await execa('zstd', ['-c'], { input: archive, encoding: 'buffer' })).stdout);
  const inspection = await inspectArchive(path);
  assert.equal(inspection.imageId, 'sha256:3de017251095666b6991817a2c3f70fff515247a686413452c7a9ba69c4d2e30');
  assert.deepEqual(inspection.repoTags, ['test:latest']);
  assert.equal(inspection.layers.length, 2);
  assert.deepEqual(inspection.layers[0], {
    index: 1,
    member: 'a690232b32e25880104b33ef304580fd4e002e227f570fc2a143317ec7087548/layer.tar',
    size: 10240,
    diffId: 'sha256:a690232b32e25880104b33ef304580fd4e002e227f570fc2a143317ec7087548',
    storePaths: VECTOR_C_PATHS,
  });
  const text = formatInspection(inspection);
  assert.match(text, /platform: +linux\/amd64/);
  assert.match(text, /  Cmd: \["\/nix\/store\/0{32}-demo\/bin\/demo"\]/);
  assert.match(text, /\n +\/nix\/store\/2{32}-test-customisation-layer\n/);
});
