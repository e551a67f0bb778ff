// End to end: base images, the layer budget and Env inheritance (acceptance A12, A14-A18,
// api.md §8 row 4), including a base written by `docker save`.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { buildExpression, buildFailure, buildImages, Docker, repoRoot } from './harness.ts';
import type { BuiltImage } from './harness.ts';

const docker = new Docker();
let out: Record<string, BuiltImage>;

before(async () => {
  out = await buildImages(['layered-on-top-layered', 'bulk-layer', 'layered-bulk-layer', 'environmentVariablesLayered']);
});
after(() => docker.cleanup());

describe('a layered image on top of a layered image (A12)', () => {
  it('runs its own program and keeps the base layers below its own', async () => {
    const image = await docker.load(out['layered-on-top-layered']!.path);
    assert.equal((await docker.run(image)).trim(), 'greetings from app-a');
    assert.equal((await docker.run(image, ['hello'])).trim(), 'Hello, world!');
    assert.equal((await docker.run(image, ['cat', '/extraCommands'])).trim(), 'extraCommands was here');
  });
});

describe('maxLayers', () => {
  let bulk: string;
  before(async () => {
    bulk = await docker.load(out['bulk-layer']!.path);
  });

  it('= 2 gives one bulk store layer plus the customisation layer (A16)', async () => {
    assert.equal((await docker.layers(bulk)).length, 2);
  });

  it('= 2 keeps every store path in the bulk layer (A17)', async () => {
    assert.equal((await docker.run(bulk, ['ls', '/bin/hello'])).trim(), '/bin/hello');
    assert.equal((await docker.run(bulk)).trim(), 'Hello, world!');
    assert.equal((await docker.run(bulk, ['app-a'])).trim(), 'greetings from app-a');
    assert.equal((await docker.run(bulk, ['app-b'])).trim(), 'greetings from app-b');
  });

  it('counts the base layers: exactly 4 distinct layers on a 2-layer base with maxLayers = 4 (A18)', async () => {
    const image = await docker.load(out['layered-bulk-layer']!.path);
    assert.equal((await docker.run(image)).trim(), 'greetings from app-b');
    assert.equal(new Set(await docker.layers(image)).size, 4);
  });

  it('fails the build, not the evaluation, when 1 + base layers >= maxLayers (api.md §8 row 4)', async () => {
    const failure = await buildFailure(`(import ${repoRoot}/test/e2e/images.nix { }).too-few-layers`);
    // The builder words it its own way (nixpkgs: "usedLayers 3 layers to store 'fromImage' ...").
    assert.match(failure.stderr, /maxLayers=3\b.*\b3 layers are already used \(2 from fromImage/);
    assert.match(failure.stderr, /builder for '[^']*-too-few-layers-customisation-layer\.drv' failed/);
  });
});

describe('a base image written by docker save', () => {
  it('is accepted as fromImage and its layers come first', async () => {
    const base = await docker.load(out['bulk-layer']!.path);
    const saved = await docker.save(base);
    try {
      const archive = await buildExpression(`
        let n = import ${repoRoot}/test/nix/host.nix { }; in
        n.buildLayeredImage {
          name = "nix-strata-e2e/on-top-of-docker-save";
          tag = "latest";
          fromImage = ${saved.path};
          contents = [ n.standIns.app-b ];
          config.Cmd = [ "app-b" ];
        }`);
      const image = await docker.load(archive);
      assert.equal((await docker.run(image)).trim(), 'greetings from app-b');
      assert.equal((await docker.run(image, ['hello'])).trim(), 'Hello, world!');
      const baseLayers = await docker.layers(base);
      assert.deepEqual((await docker.layers(image)).slice(0, baseLayers.length), baseLayers);
    } finally {
      await saved.remove();
    }
  });
});

describe('Env inheritance (A14, A15)', () => {
  it('merges the base Env: every variable once, the last value wins', async () => {
    const image = await docker.load(out['environmentVariablesLayered']!.path);
    const env = (await docker.run(image)).split('\n');
    assert.ok(env.includes('FROM_PARENT=true'), env.join('\n'));
    assert.ok(env.includes('FROM_CHILD=true'), env.join('\n'));
    assert.ok(env.includes('LAST_LAYER=child'), env.join('\n'));
    const configured = (await docker.config(image)).Env ?? [];
    assert.deepEqual(configured.filter((e) => e.startsWith('LAST_LAYER')), ['LAST_LAYER=child']);
    assert.deepEqual(configured, ['FROM_PARENT=true', 'LAST_LAYER=child', 'FROM_CHILD=true']);
  });
});
