// buildLayer (nix/build-layer.nix) and `layers` built by real Nix in the sandbox: an image on a
// runtime layer loads and runs, its layer's diff_id is the one layer.json records, a chained
// layer holds none of its parent's paths, a new app rebuilds no layer, and bad arguments fail
// at evaluation in one line. A compressed archive (.tar.gz, .tar.zst) and the oci output hold a
// given layer's stored blob byte for byte when the compressions match, and the archive still
// decompresses to the image's uncompressed stream. Needs `npm run build`.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { execa } from 'execa';
import { buildExpression, Docker, evalFailure, evalJson, repoRoot, sandboxed } from './harness.ts';

const fixtures = join(repoRoot, 'test/e2e/build-layer.nix');
const attr = (name: string, message = 'one') => `(import ${fixtures} { message = "${message}"; }).${name}`;
const build = (name: string, message?: string) => buildExpression(attr(name, message), sandboxed);
const layerJson = async (dir: string) => JSON.parse(await readFile(join(dir, 'layer.json'), 'utf8')) as { diffId: string; paths: string[]; parents: string[]; layers: string[]; compression: string; blob: string; digest: string };
/** A layer's stored blob (layer.json `blob`), checked to be compressed as `compression`. */
const storedBlob = async (dir: string, compression: string) => {
  const json = await layerJson(dir);
  assert.equal(json.compression, compression);
  return { json, bytes: await readFile(join(dir, json.blob)) };
};
/** The stdout of a bash script (args as $1…) as bytes. */
const bytesOf = async (script: string, ...args: string[]) =>
  Buffer.from((await execa('bash', ['-o', 'pipefail', '-c', script, 'bash', ...args], { stdin: 'ignore', encoding: 'buffer', maxBuffer: 1 << 30 })).stdout);
/** Asserts that `archive` decompressed (by `decompress`, e.g. `zstd -dc`) is byte for byte what the image's stream executable writes, uncompressed. */
const assertDecompressesToStream = async (archive: string, decompress: string, image: string) => {
  const decompressed = await bytesOf(`${decompress} "$1"`, archive);
  const stream = await bytesOf('"$1"', await build(`${image}.stream`));
  assert.ok(stream.length > 0);
  assert.ok(decompressed.equals(stream), `${decompress} ${archive} (${decompressed.length} bytes) differs from the stream of ${image} (${stream.length} bytes)`);
};

const docker = new Docker();
after(() => docker.cleanup());

describe('buildLayer', { timeout: 900_000 }, () => {
  let runtime: string;
  let apps: string;
  before(async () => {
    runtime = await build('runtime');
    apps = await build('apps');
  });

  it('an image with layers = [ runtime ] loads and runs, with the runtime layer\'s diff_id right above nothing', async () => {
    const image = await docker.load(await build('image'));
    assert.equal((await docker.run(image)).trim(), 'greetings from bl-app-one');
    const layers = await docker.layers(image);
    assert.equal(layers[0], (await layerJson(runtime)).diffId);
    // The runtime paths are in no other layer: busybox and libgreet are not stored twice.
    assert.equal(new Set(layers).size, layers.length);
  });

  it("the image's oci output (the sinks' own compression) lists the given layer's diff_id first", async () => {
    const layout = await build('image.oci');
    const blob = async (digest: string) => JSON.parse(await readFile(join(layout, 'blobs/sha256', digest.slice('sha256:'.length)), 'utf8'));
    const index = JSON.parse(await readFile(join(layout, 'index.json'), 'utf8'));
    const manifest = await blob(index.manifests[0].digest);
    const config = await blob(manifest.config.digest);
    assert.equal(config.rootfs.diff_ids[0], (await layerJson(runtime)).diffId);
    assert.equal(manifest.layers.length, config.rootfs.diff_ids.length);
  });

  it('a zstd layer in a zstd .tar.zst: its blob is a frame of the archive, which decompresses to the stream, loads and runs', async () => {
    const layer = await build('runtimeZstd');
    const { json, bytes } = await storedBlob(layer, 'zstd');
    const archive = await build('zstdImage');
    assert.match(archive, /\.tar\.zst$/);
    assert.ok((await readFile(archive)).includes(bytes), `the blob ${json.blob} of ${layer} is not in ${archive}`);
    await assertDecompressesToStream(archive, 'zstd -dcq', 'zstdImage');
    const image = await docker.load(archive, 'zstd');
    assert.equal((await docker.run(image)).trim(), 'greetings from bl-app-one');
    assert.equal((await docker.layers(image))[0], json.diffId);
  });

  it('a gz layer in a gz .tar.gz: its blob is a member of the archive, which decompresses to the stream and docker load -i loads', async () => {
    const { json, bytes } = await storedBlob(runtime, 'gzip');
    const archive = await build('image');
    assert.match(archive, /\.tar\.gz$/);
    assert.ok((await readFile(archive)).includes(bytes), `the blob ${json.blob} of ${runtime} is not in ${archive}`);
    await assertDecompressesToStream(archive, 'gunzip -c', 'image');
    const image = await docker.load(archive);
    assert.equal((await docker.run(image)).trim(), 'greetings from bl-app-one');
  });

  it('a gz layer in a zstd .tar.zst is compressed anew: the gz blob is not in it, and it decompresses to the stream', async () => {
    const { json, bytes } = await storedBlob(runtime, 'gzip');
    const archive = await build('mismatchImage');
    assert.match(archive, /\.tar\.zst$/);
    assert.ok(!(await readFile(archive)).includes(bytes), `the gz blob of ${runtime} was copied into the zstd ${archive}`);
    await assertDecompressesToStream(archive, 'zstd -dcq', 'mismatchImage');
    const image = await docker.load(archive, 'zstd');
    assert.equal((await docker.run(image)).trim(), 'greetings from bl-app-one');
    assert.equal((await docker.layers(image))[0], json.diffId);
  });

  // The sinks compress as buildLayer does (compressBlob), so a copy and a recompression give the
  // same bytes: this checks the outcome (the digest and bytes layer.json records), not the copying.
  it("the oci output holds a given layer's blob byte for byte under its layer.json digest when the compressions match", async () => {
    for (const [layerAttr, imageAttr, compression] of [['runtime', 'image', 'gzip'], ['runtimeZstd', 'zstdImage', 'zstd']] as const) {
      const { json, bytes } = await storedBlob(await build(layerAttr), compression);
      const layout = await build(`${imageAttr}.oci`);
      const blobs = join(layout, 'blobs/sha256');
      const index = JSON.parse(await readFile(join(layout, 'index.json'), 'utf8'));
      const manifest = JSON.parse(await readFile(join(blobs, index.manifests[0].digest.slice('sha256:'.length)), 'utf8'));
      assert.equal(manifest.layers[0].digest, json.digest);
      assert.match(manifest.layers[0].mediaType, compression === 'gzip' ? /\+gzip$/ : /\+zstd$/);
      const stored = await readFile(join(blobs, json.digest.slice('sha256:'.length)));
      assert.ok(stored.equals(bytes), `blobs/sha256/${json.digest} of ${layout} differs from ${json.blob} of the layer`);
    }
  });

  it('a chained layer holds no path of its parent, and the stream puts the parent below it', async () => {
    const top = await layerJson(apps);
    const base = await layerJson(runtime);
    assert.deepEqual(top.layers, [runtime]);
    assert.ok(top.paths.length > 0);
    assert.deepEqual(top.paths.filter((p) => base.paths.includes(p)), []);
    assert.deepEqual([...top.parents].sort(), [...base.paths].sort());
    const image = await docker.load(await build('streamed'), 'stream');
    assert.equal((await docker.run(image)).trim(), 'greetings from app-a');
    assert.deepEqual((await docker.layers(image)).slice(0, 2), [base.diffId, top.diffId]);
  });

  it('changing only the app rebuilds no layer: same layer path, not among the derivations to build', async () => {
    await build('image', 'one');
    // A message no earlier run built, so the app really is new.
    const two = `two-${process.pid}-${Date.now()}`;
    const layerOut = await evalJson(`${attr('runtime', two)}.outPath`);
    assert.equal(layerOut, runtime);
    const dry = await execa('nix-build', ['--dry-run', '--no-out-link', ...sandboxed, '-E', attr('image', two)], { cwd: repoRoot, reject: false, stdin: 'ignore' });
    assert.equal(dry.exitCode, 0, String(dry.stderr));
    const toBuild = String(dry.stderr).split('will be fetched')[0]!;
    assert.match(toBuild, /-bl-app\.drv/);
    assert.doesNotMatch(toBuild, /-bl-runtime\.drv/);
    const image = await docker.load(await build('image', two));
    assert.equal((await docker.run(image)).trim(), `greetings from bl-app-${two}`);
    assert.equal((await docker.layers(image))[0], (await layerJson(runtime)).diffId);
  });

  it('copyToRoot: the tree is at the root and its closure in the layer', async () => {
    const image = await docker.load(await build('rootedImage'));
    assert.equal((await docker.run(image)).trim(), 'Hello, world!');
  });

  it('bad arguments fail at evaluation in one line', async () => {
    const host = `(import ${repoRoot}/test/nix/host.nix { })`;
    const cases: Array<[string, RegExp]> = [
      [`${host}.buildLayer { deps = "hello"; }`, /error: in buildLayer nix-strata-layer: deps must be a list of store paths \(derivations or paths\), e\.g\. \[ pkgs\.hello \], got a string/],
      [`${host}.buildLayer { deps = [ ]; mtime = "now"; }`, /error: in buildLayer nix-strata-layer: mtime cannot be "now"/],
      [`${host}.buildLayer { layers = [ ${host}.standIns.hello ]; }`, /error: in docker image buildLayer nix-strata-layer: the layers argument must be a list of buildLayer results/],
      [`${host}.streamLayeredImage { name = "app"; layers = ${host}.standIns.hello; }`, /error: in docker image app: the layers argument must be a list of buildLayer results, .*got a value of type set/],
    ];
    for (const [expression, message] of cases) {
      const { stderr } = await evalFailure(expression);
      assert.match(stderr, message);
      assert.equal(stderr.split('\n').filter((line) => line.startsWith('error:')).length, 1, stderr);
    }
  });

  it('buildImageIndex adds its layers to every layered image through .override', async () => {
    const host = `(import ${repoRoot}/test/nix/host.nix { })`;
    const spec = await evalJson(`let n = ${host}; l = (import ${fixtures} { }).runtime; i = n.buildImageIndex { name = "x"; layers = [ l ]; images = [ (n.streamLayeredImage { name = "a"; contents = [ n.standIns.hello ]; }) ]; }; in builtins.map builtins.unsafeDiscardStringContext (builtins.filter (a: builtins.match ".*-oci" a != null) i.drvAttrs.args)`);
    assert.equal((spec as string[]).length, 1);
    const oci = (spec as string[])[0]!;
    const withLayer = await evalJson(`let n = ${host}; l = (import ${fixtures} { }).runtime; in builtins.unsafeDiscardStringContext (n.streamLayeredImage { name = "a"; contents = [ n.standIns.hello ]; layers = [ l ]; }).oci.outPath`);
    assert.equal(oci, withLayer);
    const { stderr } = await evalFailure(`let n = ${host}; l = (import ${fixtures} { }).runtime; in (n.buildImageIndex { name = "x"; layers = [ l ]; images = [ (n.buildImage { name = "b"; }) ]; }).drvPath`);
    assert.match(stderr, /error: in image index x: layers apply to streamLayeredImage and buildLayeredImage results, but b:[0-9a-z]+ is not one/);
  });
});
