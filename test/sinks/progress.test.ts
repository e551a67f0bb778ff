// Byte progress of the docker-archive sink: one `layer i of n` report per layer at least,
// ending at the layer's full size, so a terminal shows how far a long stream is.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeDockerArchive } from '../../src/sinks/docker-archive.ts';
import { collect, vectorImage } from './vectors.ts';

test('each layer reports its progress up to its full size', async () => {
  const image = await vectorImage();
  const reports: string[] = [];
  await collect((output) => writeDockerArchive(image, output, { repoTags: ['test:latest'], mtime: 1, log: { info() {}, progress: (line) => reports.push(line) } }));
  assert.deepEqual(reports, ['layer 1 of 2: 0.0 MiB of 0.0 MiB', 'layer 2 of 2: 0.0 MiB of 0.0 MiB']);
});
