// The archive the sink writes is accepted by the real consumers: docker load (piped, as
// `stream | docker load`), docker save round trip, and skopeo + umoci.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { execa } from 'execa';
import { assembleImage } from '../../src/image/assemble.ts';
import { baseEnvOf } from '../../src/image/env-merge.ts';
import { writeDockerArchive } from '../../src/sinks/docker-archive.ts';
import { bytesLayer } from '../../src/sources/bytes-layer.ts';
import { readDockerArchive } from '../../src/sources/docker-archive.ts';
import { collect, recordingLogger, sha, vectorImage } from '../sinks/vectors.ts';

const CONFIG_HEX = '3de017251095666b6991817a2c3f70fff515247a686413452c7a9ba69c4d2e30';
const DIFF_IDS = [
  'sha256:a690232b32e25880104b33ef304580fd4e002e227f570fc2a143317ec7087548',
  'sha256:f003e077fcffe7c286bb778c1514ebe6c7388d057e705b8bc43d6be413837a43',
];

test('docker load accepts the streamed archive; docker save of it reads back as a base', async () => {
  const tag = `nix-strata-test-${randomBytes(4).toString('hex')}:latest`;
  const image = await vectorImage();
  const load = execa('docker', ['load'], { stdin: 'pipe' });
  await writeDockerArchive(image, load.stdin!, { repoTags: [tag], mtime: 1, log: recordingLogger() });
  const { stdout } = await load;
  assert.match(stdout, new RegExp(`Loaded image: ${tag}`));
  try {
    const inspect = JSON.parse((await execa('docker', ['image', 'inspect', tag])).stdout)[0];
    assert.equal(inspect.Id, `sha256:${CONFIG_HEX}`);
    assert.deepEqual(inspect.RootFS.Layers, DIFF_IDS);
    assert.equal(inspect.Created, '1970-01-01T00:00:01Z');

    const dir = await mkdtemp(join(tmpdir(), 'strata-save-'));
    const saved = join(dir, 'saved.tar');
    await execa('docker', ['save', '-o', saved, tag]);
    const base = await readDockerArchive(saved);
    assert.deepEqual(base.diffIds, DIFF_IDS);
    assert.deepEqual(baseEnvOf(base.config), ['PATH=/bin']);
    for (const [index, layer] of base.layers.entries()) {
      const chunks: Buffer[] = [];
      for await (const chunk of layer.open()) chunks.push(chunk as Buffer);
      assert.equal(`sha256:${sha(Buffer.concat(chunks))}`, DIFF_IDS[index]);
    }
  } finally {
    await execa('docker', ['rmi', tag]);
  }
});

test('skopeo copies the archive to an OCI layout and umoci unpacks it', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'strata-oci-'));
  const archivePath = join(dir, 'image.tar');
  const image = await vectorImage();
  await writeFile(archivePath, await collect((output) => writeDockerArchive(image, output, { repoTags: ['test:latest'], mtime: 1, log: recordingLogger() })));
  const inspect = JSON.parse((await execa('skopeo', ['inspect', `docker-archive:${archivePath}`])).stdout);
  assert.deepEqual(inspect.Layers, DIFF_IDS);
  assert.equal(inspect.Architecture, 'amd64');
  await execa('skopeo', ['copy', `docker-archive:${archivePath}`, `oci:${join(dir, 'oci')}:latest`]);
  await execa('umoci', ['unpack', '--rootless', '--image', `${join(dir, 'oci')}:latest`, join(dir, 'bundle')]);
  const rootfs = join(dir, 'bundle', 'rootfs');
  assert.equal(await readFile(join(rootfs, 'nix/store/11111111111111111111111111111111-note.txt'), 'utf8'), 'note\n');
  assert.ok((await readdir(join(rootfs, 'nix/store/00000000000000000000000000000000-demo/share'))).includes('doc-copy.txt'));
});

test('a sink writing to a file stream ends it cleanly', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'strata-file-'));
  const path = join(dir, 'out.tar');
  await writeDockerArchive(await vectorImage(), createWriteStream(path), { repoTags: ['test:latest'], mtime: 1, log: recordingLogger() });
  assert.equal(sha(await readFile(path)), 'c8a630bd953a16dff90743f17937b879f8ee162ab33bfe26b345e12dd49b7398');
});

test('`| head -c 1`: the sink stops with "the reader of the image stream went away"', async () => {
  const big = Buffer.alloc(8 << 20, 1);
  const image = assembleImage({
    storeLayers: [bytesLayer(big, { origin: ['/nix/store/big'], kind: 'store' })],
    customisationLayer: bytesLayer(big, { origin: ['/nix/store/c'], kind: 'customisation' }),
    architecture: 'amd64', config: {}, created: '1970-01-01T00:00:01+00:00',
  });
  const head = execa('head', ['-c', '1'], { stdin: 'pipe', encoding: 'buffer' });
  const log = recordingLogger();
  await assert.rejects(writeDockerArchive(image, head.stdin!, { repoTags: ['a:b'], mtime: 1, log }), (error: Error) =>
    error.name === 'UserError' && error.message.startsWith('the reader of the image stream went away'));
  assert.equal((await head).stdout.length, 1);
  assert.ok(!log.lines.includes('Done.'));
});
