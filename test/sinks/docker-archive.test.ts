import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { assembleImage } from '../../src/image/assemble.ts';
import { writeDockerArchive } from '../../src/sinks/docker-archive.ts';
import type { Layer } from '../../src/image/types.ts';
import { bytesLayer } from '../../src/sources/bytes-layer.ts';
import { storePathsLayer } from '../../src/sources/store-paths.ts';
import { buildVectorTree, readTar, ROOT_OWNER, tempDir } from '../tar/fixtures.ts';
import { VECTOR_C_PATHS, collect, recordingLogger, sha, vectorC, vectorE } from './vectors.ts';
import { vectorImage } from './vectors.ts';


test('vector layers C and E have their published digests', () => {
  assert.equal(sha(vectorC()), 'a690232b32e25880104b33ef304580fd4e002e227f570fc2a143317ec7087548');
  assert.equal(sha(vectorE()), 'f003e077fcffe7c286bb778c1514ebe6c7388d057e705b8bc43d6be413837a43');
});

test('format.md §2.4 end-to-end vector: config, manifest and archive bytes', async () => {
  const image = await vectorImage();
  const config = await image.rawConfig();
  assert.equal(config.length, 949);
  assert.equal(sha(config), '3de017251095666b6991817a2c3f70fff515247a686413452c7a9ba69c4d2e30');
  const log = recordingLogger();
  const archive = await collect((output) => writeDockerArchive(image, output, { repoTags: ['test:latest'], mtime: 1, log }));
  assert.equal(archive.length, 30720);
  assert.equal(sha(archive), 'c8a630bd953a16dff90743f17937b879f8ee162ab33bfe26b345e12dd49b7398');
  const manifestOffset = 512 + 10240 + 512 + 10240 + 512 + 1024;
  const manifest = archive.subarray(manifestOffset + 512, manifestOffset + 512 + 374);
  assert.equal(sha(manifest), 'a1ca3895e12f9345dfa6c0664a34f3c63f05c2251a91148c6f0b63d29a421ead');
  assert.deepEqual(log.lines, [
    "No 'fromImage' provided",
    `Creating layer 1 from paths: ['${VECTOR_C_PATHS[0]}', '${VECTOR_C_PATHS[1]}']`,
    'Creating layer 2 with customisation...',
    'Adding manifests...',
    'Done.',
  ]);
});

test('a store layer hashed while it streams: named by position, the same config, its digest asked for only after its bytes', async () => {
  const tree = tempDir();
  try {
    buildVectorTree(tree.path);
    const events: string[] = [];
    const inner = storePathsLayer(VECTOR_C_PATHS, { ...ROOT_OWNER, root: tree.path });
    const layer: Layer = {
      ...inner,
      diffId: () => { events.push('diffId'); return inner.diffId(); },
      size: () => { events.push('size'); return inner.size(); },
      open: () => {
        events.push('open');
        return inner.open().on('end', () => events.push('end'));
      },
    };
    const image = await vectorImage({ storeLayer: layer });
    const archive = await collect((output) => writeDockerArchive(image, output, { repoTags: ['test:latest'], mtime: 1, log: recordingLogger() }));
    assert.deepEqual(events.slice(0, 3), ['size', 'open', 'end'], 'no hashing pass before the bytes stream');
    const members = await readTar(archive);
    assert.deepEqual(members.map((m) => m.header.name), [
      'layer-1/layer.tar',
      'f003e077fcffe7c286bb778c1514ebe6c7388d057e705b8bc43d6be413837a43/layer.tar',
      '3de017251095666b6991817a2c3f70fff515247a686413452c7a9ba69c4d2e30.json',
      'manifest.json',
    ]);
    assert.equal(sha(members[0]!.content), 'a690232b32e25880104b33ef304580fd4e002e227f570fc2a143317ec7087548');
    assert.equal(sha(members[2]!.content), '3de017251095666b6991817a2c3f70fff515247a686413452c7a9ba69c4d2e30', 'the §2.4 config: diff_ids from the stream');
    assert.deepEqual(JSON.parse(members[3]!.content.toString('utf8'))[0].Layers, ['layer-1/layer.tar', 'f003e077fcffe7c286bb778c1514ebe6c7388d057e705b8bc43d6be413837a43/layer.tar']);
  } finally {
    tree.cleanup();
  }
});

test('a reader that goes away makes the sink stop with a UserError', async () => {
  const image = await vectorImage();
  let received = 0;
  const output = new Writable({
    highWaterMark: 1024,
    write(chunk: Buffer, _encoding, callback) {
      received += chunk.length;
      const error = Object.assign(new Error('write EPIPE'), { code: 'EPIPE' });
      setImmediate(() => callback(error));
    },
  });
  await assert.rejects(writeDockerArchive(image, output, { repoTags: ['test:latest'], mtime: 1, log: recordingLogger() }), (error: Error) =>
    error.name === 'UserError' && error.message.startsWith('the reader of the image stream went away'));
  assert.ok(received < 30720);
});

test('backpressure: a slow reader still receives the exact archive', async () => {
  const image = await vectorImage();
  const chunks: Buffer[] = [];
  const output = new Writable({
    highWaterMark: 100,
    write(chunk: Buffer, _encoding, callback) {
      chunks.push(chunk);
      setTimeout(callback, 1);
    },
  });
  await writeDockerArchive(image, output, { repoTags: ['test:latest'], mtime: 1, log: recordingLogger() });
  assert.equal(sha(Buffer.concat(chunks)), 'c8a630bd953a16dff90743f17937b879f8ee162ab33bfe26b345e12dd49b7398');
});

test('a layer whose size() disagrees with its bytes fails instead of writing a corrupt archive', async () => {
  const layer = { ...bytesLayer(vectorC(), { origin: ['/x'] }), size: async () => 512 };
  const image = assembleImage({
    storeLayers: [layer],
    customisationLayer: bytesLayer(vectorE(), { origin: ['/c'], kind: 'customisation' }),
    architecture: 'amd64', config: {}, created: '1970-01-01T00:00:01+00:00',
  });
  await assert.rejects(collect((output) => writeDockerArchive(image, output, { repoTags: ['a:b'], mtime: 1, log: recordingLogger() })), /size\(\) said 512/);
});
