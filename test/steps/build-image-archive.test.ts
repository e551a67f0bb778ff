import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { buildImageArchive, readBuildImageAttrs, tagOfOutput, type BuildImageSpec } from '../../src/steps/build-image-archive.ts';
import { concatenatedEnv } from '../../src/image/env-merge.ts';
import { validateImage } from '../image/validate.ts';
import { UserError } from '../../src/errors.ts';
import { archiveImage, readDockerArchive } from '../../src/sources/docker-archive.ts';
import { recordingLogger, tarOf, vectorC, vectorE } from '../sinks/vectors.ts';
import { layeredArchive, member } from '../support/base-archive.ts';
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

describe('the build-image spec (docs/contract.md)', () => {
  const spec = {
    version: 1, imageName: 'app', tag: null, architecture: 'amd64', created: '1970-01-01T00:00:01Z', config: { Cmd: ['/bin/app'] },
    fromImage: null, layer: '/nix/store/l-docker-layer-app', compressor: 'gz', storeDir: '/nix/store',
  };
  async function attrsFile(value: unknown): Promise<string> {
    const path = join(await mkdtemp(join(tmpdir(), 'nix-strata-build-image-attrs-')), '.attrs.json');
    await writeFile(path, JSON.stringify({ spec: value, closure: [], outputs: { out: '/nix/store/o-docker-image-app.tar.gz' } }));
    return path;
  }

  it('version 1 is read', async () => {
    const { spec: read, out } = await readBuildImageAttrs(await attrsFile(spec));
    assert.equal(read.imageName, 'app');
    assert.equal(out, '/nix/store/o-docker-image-app.tar.gz');
  });

  it('another version, or none, is one line saying the two sides are out of step', async () => {
    for (const [version, got] of [[2, 'version 2'], ['1', 'version "1"'], [undefined, 'no version']] as const) {
      const path = await attrsFile({ ...spec, version });
      await assert.rejects(readBuildImageAttrs(path), (error: unknown) => error instanceof UserError &&
        error.message === `${path}: spec.version: this builder reads build-image spec version 1, got ${got}; nix/ and the builder are out of step, rebuild with a matching nix-strata`);
    }
  });
});

describe('the base layers', () => {
  const dirPromise = mkdtemp(join(tmpdir(), 'nix-strata-build-image-archive-'));
  after(async () => rm(await dirPromise, { recursive: true, force: true }));
  const sha = (bytes: Buffer) => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
  const tampered = (): Buffer => {
    const bytes = Buffer.from(vectorC());
    bytes.writeUInt8(bytes.readUInt8(2563) ^ 1, 2563); // inside bin/demo's data: still a valid tar
    return bytes;
  };

  /** Builds on a one-layer base whose member holds `blob` and whose config claims `diffId`; returns the output path. */
  async function buildOn(name: string, blob: Buffer, diffId: string): Promise<string> {
    const dir = await dirPromise;
    const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', config: {}, rootfs: { type: 'layers', diff_ids: [diffId] } }));
    const manifest = Buffer.from(JSON.stringify([{ Config: 'cfg.json', RepoTags: ['base:1'], Layers: ['l/layer.tar'] }]));
    const fromImage = join(dir, `${name}-base.tar`);
    await writeFile(fromImage, tarOf([member('l/layer.tar', blob), member('cfg.json', config), member('manifest.json', manifest)]));
    const layer = join(dir, `${name}-layer`);
    await mkdir(layer);
    await writeFile(join(layer, 'layer.tar'), vectorE());
    const spec: BuildImageSpec = {
      imageName: 'child', tag: '1', architecture: 'amd64', created: '1970-01-01T00:00:01Z', config: null,
      fromImage, layer, compressor: 'none', storeDir: '/nix/store',
    };
    const output = join(dir, `${name}-image.tar`);
    await buildImageArchive({ spec, closure: [], output, log: recordingLogger() });
    return output;
  }

  it('the archive, read back, is a valid image (test/image/validate.ts) recording the spec\'s name:tag', async () => {
    const archive = await readDockerArchive(await buildOn('valid', gzipSync(vectorC()), sha(vectorC())));
    assert.deepEqual(archive.repoTags, ['child:1']);
    const measured = await validateImage(archiveImage(archive));
    assert.deepEqual(measured.map((layer) => layer.diffId), [sha(vectorC()), sha(vectorE())]);
  });

  for (const [label, encode] of [['uncompressed', (bytes: Buffer) => bytes], ['gzip', (bytes: Buffer) => gzipSync(bytes)]] as const) {
    it(`keep the base config's diff_id (${label} member)`, async () => {
      const output = await buildOn(`good-${label}`, encode(vectorC()), sha(vectorC()));
      assert.deepEqual((await readDockerArchive(output)).diffIds, [sha(vectorC()), sha(vectorE())]);
    });

    it(`fail before the archive is written when a base layer does not hash to its diff_id (${label} member)`, async () => {
      const output = join(await dirPromise, `bad-${label}-image.tar`);
      await assert.rejects(buildOn(`bad-${label}`, encode(tampered()), sha(vectorC())), (error: Error) => {
        assert.ok(error instanceof UserError && error.code === 'base-diff-id-mismatch', String(error));
        assert.ok(error.message.includes(`hashes to ${sha(tampered())}`), error.message);
        return true;
      });
      assert.equal(existsSync(output), false);
    });
  }
});

describe("Docker's 125-layer limit", () => {
  it('a base of 125 layers fails before anything is written, saying how many layers the base may have', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'nix-strata-build-image-deep-'));
    try {
      const fromImage = join(dir, 'base.tar');
      await writeFile(fromImage, layeredArchive(125));
      const layer = join(dir, 'layer');
      await mkdir(layer);
      await writeFile(join(layer, 'layer.tar'), vectorE());
      const spec: BuildImageSpec = {
        imageName: 'child', tag: '1', architecture: 'amd64', created: '1970-01-01T00:00:01Z', config: null,
        fromImage, layer, compressor: 'none', storeDir: '/nix/store',
      };
      const output = join(dir, 'image.tar');
      await assert.rejects(buildImageArchive({ spec, closure: [], output, log: recordingLogger() }), (error: Error) => {
        assert.ok(error instanceof UserError && error.code === 'too-many-layers', String(error));
        assert.match(error.message, /would have 126 layers \(125 from fromImage, 1 new layer\).*use a base image with at most 124 layers$/);
        return true;
      });
      assert.equal(existsSync(output), false);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
