import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { execa } from 'execa';
import { mergeImages } from '../../src/steps/merge-images.ts';
import { readDockerArchive } from '../../src/sources/docker-archive.ts';
import { recordingLogger, tarOf, vectorC } from '../sinks/vectors.ts';
import { member } from '../support/base-archive.ts';

const sha = (bytes: Buffer) => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

/** A layer tar other than vectorC's: one file holding `text`. */
const layerWith = (text: string): Buffer => tarOf([member('file', Buffer.from(text))]);

/** A docker-archive whose images (tag → layer bytes) all name their layer `layer-1/layer.tar`, as this project's streams do. */
function archive(images: ReadonlyArray<readonly [string, Buffer]>, claimed?: string): Buffer {
  const entries: Array<[ReturnType<typeof member>[0], Buffer]> = [];
  const manifest = images.map(([tag, layer], index) => {
    const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', config: { Env: [`TAG=${tag}`] }, rootfs: { type: 'layers', diff_ids: [claimed ?? sha(layer)] } }));
    entries.push(member(`image-${index}/layer-1/layer.tar`, layer), member(`cfg-${index}.json`, config));
    return { Config: `cfg-${index}.json`, RepoTags: [tag], Layers: [`image-${index}/layer-1/layer.tar`] };
  });
  return tarOf([...entries, member('manifest.json', Buffer.from(JSON.stringify(manifest)))]);
}

describe('mergeImages (the builder step)', () => {
  const dirPromise = mkdtemp(join(tmpdir(), 'nix-strata-merge-images-'));
  after(async () => rm(await dirPromise, { recursive: true, force: true }));
  let count = 0;
  const file = async (bytes: Buffer): Promise<string> => {
    const path = join(await dirPromise, `input-${count++}`);
    await writeFile(path, bytes);
    return path;
  };

  it('keeps every image of every input, in order, even when inputs reuse a member name for other bytes', async () => {
    const one = await file(archive([['one:1', vectorC()]]));
    const two = await file(gzipSync(archive([['two:1', layerWith('two')], ['three:1', layerWith('three')]])));
    const output = join(await dirPromise, 'merged.tar.gz');
    await mergeImages({ inputs: [one, two], output, log: recordingLogger() });
    assert.deepEqual([...(await readFile(output)).subarray(0, 2)], [0x1f, 0x8b], 'gzip, like the last input');
    const expected: Array<[string, Buffer]> = [['one:1', vectorC()], ['two:1', layerWith('two')], ['three:1', layerWith('three')]];
    for (const [entry, [tag, layer]] of expected.entries()) {
      const image = await readDockerArchive(output, { entry });
      assert.equal(image.entryCount, 3);
      assert.deepEqual(image.repoTags, [tag]);
      assert.deepEqual(image.diffIds, [sha(layer)]);
      // open() checks the bytes against the diff_id: it fails if another image's layer took the name.
      const chunks: Buffer[] = [];
      for await (const chunk of image.layers[0]!.open()) chunks.push(chunk as Buffer);
      assert.deepEqual(Buffer.concat(chunks), layer);
      await image.dispose();
    }
  });

  it('stores a layer two images share once, and writes plain tar after a plain last input', async () => {
    const a = await file(gzipSync(archive([['a:1', vectorC()]])));
    const b = await file(archive([['b:1', vectorC()]]));
    const output = join(await dirPromise, 'shared.tar');
    await mergeImages({ inputs: [a, b], output, log: recordingLogger() });
    const { stdout } = await execa('tar', ['-tf', output]);
    const names = String(stdout).split('\n');
    assert.deepEqual(names.filter((name) => name.endsWith('/layer.tar')), [`${sha(vectorC()).slice(7)}/layer.tar`]);
    assert.equal(names.filter((name) => name.endsWith('.json') && name !== 'manifest.json').length, 2);
  });

  it('refuses an xz input before writing anything, naming it', async () => {
    const plain = await file(archive([['x:1', vectorC()]]));
    const { stdout } = await execa('xz', ['-c', plain], { encoding: 'buffer' });
    const xz = await file(Buffer.from(stdout));
    const output = join(await dirPromise, 'never.tar');
    await assert.rejects(mergeImages({ inputs: [plain, xz], output, log: recordingLogger() }), (error: Error) => {
      assert.equal(error.name, 'UserError');
      assert.equal(error.message, `${xz}: is an xz-compressed archive, but mergeImages reads plain, gzip or zstd docker-archives (as nixpkgs' does); decompress it, or build it with compressor = "gz", "zstd" or "none"`);
      return true;
    });
    assert.equal(existsSync(output), false);
  });

  it('fails on a layer whose bytes do not match its diff_id, leaving no output behind', async () => {
    const good = await file(archive([['good:1', vectorC()]]));
    const bad = await file(archive([['bad:1', vectorC()]], sha(Buffer.from('something else'))));
    const dir = await mkdtemp(join(await dirPromise, 'out-'));
    await assert.rejects(mergeImages({ inputs: [good, bad], output: join(dir, 'merged.tar'), log: recordingLogger() }), /base-diff-id-mismatch|hashes to/);
    assert.deepEqual(await readdir(dir), []);
  });
});
