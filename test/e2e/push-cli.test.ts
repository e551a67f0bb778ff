// `nix-strata push` (the body of the `push` passthru) into a local docker-registry: the digest
// alone as the last stdout line, the same digest as `stream --format oci` of the image, and a
// cold-runner repush of a one-layer change that uploads only that layer and the config.
// Needs `npm run build`.
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { assertCleanFailure, makeFixture, runCli, writeConf, type Fixture } from '../faults/fixture.ts';
import { startLocalRegistry, type LocalRegistry } from './local-registry.ts';
import { skopeoInspect } from './pushed-image.ts';

describe('nix-strata push', { timeout: 240_000 }, () => {
  let dir: string;
  let registry: LocalRegistry;
  let fixture: Fixture;
  let homes = 0;
  // A cold runner: an empty HOME, no XDG directories, so no credentials and no blob-info cache.
  const cold = () => {
    const home = join(dir, `home-${homes++}`);
    return { env: { HOME: home, XDG_CACHE_HOME: '', XDG_RUNTIME_DIR: '' } };
  };
  const push = (args: readonly string[]) => runCli(['push', '--conf', fixture.confPath, '--tls-verify=false', ...args], cold());

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'nix-strata-push-cli-'));
    registry = await startLocalRegistry(dir);
    fixture = await makeFixture({ dataSize: 3 << 20 });
    await writeConf(fixture);
  });
  after(async () => {
    await registry?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
    if (fixture) await rm(fixture.work, { recursive: true, force: true });
  });

  it('prints the manifest digest last, the one the OCI layout of the image has', async () => {
    const result = await push([`${registry.address}/strata/cli:1`]);
    assert.equal(result.exitCode, 0, Buffer.from(result.stderr).toString());
    const lines = Buffer.from(result.stdout).toString().trimEnd().split('\n');
    assert.deepEqual(lines.length, 1, 'stdout holds the digest alone');
    const digest = lines.at(-1)!;
    assert.match(digest, /^sha256:[0-9a-f]{64}$/);
    assert.equal(registry.blobUploads('strata/cli'), 4);
    assert.equal((await skopeoInspect(`${registry.address}/strata/cli:1`)).Digest, digest);
    const layout = join(dir, 'layout');
    const written = await runCli(['stream', '-q', '--conf', fixture.confPath, '--format', 'oci', '--output', layout]);
    assert.equal(written.exitCode, 0, Buffer.from(written.stderr).toString());
    assert.equal(await readFile(join(layout, 'digest'), 'utf8'), `${digest}\n`);
  });

  it('repushes a changed customisation layer from a cold runner uploading only it and the config', async () => {
    const layerTar = join(fixture.customisation, 'layer.tar');
    const bytes = await readFile(layerTar);
    // Same size, other content: `greeting` says "hallo".
    bytes.write('hallo\n', 512);
    await writeFile(layerTar, bytes);
    const { createHash } = await import('node:crypto');
    await writeFile(join(fixture.customisation, 'checksum'), createHash('sha256').update(bytes).digest('hex'));
    const before = registry.blobUploads('strata/cli');
    const result = await push([`${registry.address}/strata/cli:1`]);
    assert.equal(result.exitCode, 0, Buffer.from(result.stderr).toString());
    assert.equal(registry.blobUploads('strata/cli') - before, 2);
    assert.match(Buffer.from(result.stderr).toString(), /2 layers reused from the registry/);
  });

  it('a malformed destination: one line, before the image is read', async () => {
    assertCleanFailure(await push(['localhost:5000/Bad Name:1']), /destination "localhost:5000\/Bad Name:1"/);
  });

  it('--tls-verify=maybe: one line', async () => {
    assertCleanFailure(await push(['--tls-verify=maybe', `${registry.address}/strata/cli:1`]), /--tls-verify=maybe: expected true or false/);
  });
});
