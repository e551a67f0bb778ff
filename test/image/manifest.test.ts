// The manifests of format.md §2.4's vector image: exact canonical bytes in both schemas, their
// digests (computed outside the code with sha256sum), and the same answer on every ask.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { configDescriptor, imageManifest, manifestDigest, manifestOf } from '../../src/image/manifest.ts';
import { vectorImage } from '../sinks/vectors.ts';

const C = 'a690232b32e25880104b33ef304580fd4e002e227f570fc2a143317ec7087548';
const E = 'f003e077fcffe7c286bb778c1514ebe6c7388d057e705b8bc43d6be413837a43';
const CONFIG = '3de017251095666b6991817a2c3f70fff515247a686413452c7a9ba69c4d2e30';

const expected = {
  oci: {
    text: `{"config":{"digest":"sha256:${CONFIG}","mediaType":"application/vnd.oci.image.config.v1+json","size":949},`
      + `"layers":[{"digest":"sha256:${C}","mediaType":"application/vnd.oci.image.layer.v1.tar","size":10240},`
      + `{"digest":"sha256:${E}","mediaType":"application/vnd.oci.image.layer.v1.tar","size":10240}],`
      + '"mediaType":"application/vnd.oci.image.manifest.v1+json","schemaVersion":2}',
    digest: 'sha256:fffbe4ec53e89a902ad5f473641530fdc7e5b0d2ac5accfc3f5f6c489065a3d5',
  },
  docker: {
    text: `{"config":{"digest":"sha256:${CONFIG}","mediaType":"application/vnd.docker.container.image.v1+json","size":949},`
      + `"layers":[{"digest":"sha256:${C}","mediaType":"application/vnd.docker.image.rootfs.diff.tar","size":10240},`
      + `{"digest":"sha256:${E}","mediaType":"application/vnd.docker.image.rootfs.diff.tar","size":10240}],`
      + '"mediaType":"application/vnd.docker.distribution.manifest.v2+json","schemaVersion":2}',
    digest: 'sha256:0e1762f9c92746540b5cddbbd37fdbd03e36edc6fd93693d90342d11ee6f7886',
  },
} as const;

for (const schema of ['oci', 'docker'] as const) {
  test(`${schema} manifest of the §2.4 vector image: canonical bytes and digest`, async () => {
    const image = await vectorImage();
    assert.equal((await manifestOf(image, schema)).raw.toString('utf8'), expected[schema].text);
    assert.equal(await manifestDigest(image, schema), expected[schema].digest);
    const manifest = await imageManifest(image, schema);
    assert.equal(manifest.schemaVersion, 2);
    assert.deepEqual(manifest.config, await configDescriptor(image, schema));
    assert.equal((await manifestOf(image, schema)).raw, (await manifestOf(image, schema)).raw, 'derived once: the same Buffer');
    // A second image of the same parts derives the same bytes (stable across runs and values).
    assert.equal(await manifestDigest(await vectorImage(), schema), expected[schema].digest);
  });
}
