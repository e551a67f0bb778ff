// The registry client against an in-process fake registry: token and Basic auth, digest
// checks, redirects, and the one-line errors for 404, refused connections and timeouts.
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { sha256Digest, type Digest } from '../../src/digest/digest.ts';
import { UserError } from '../../src/errors.ts';
import { credentialsFromEnv, RegistryClient } from '../../src/registry/client.ts';
import { startFakeRegistry, type FakeRegistry } from './fake-registry.ts';

const MANIFEST = { schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config: {}, layers: [] };

function userError(code: string, pattern: RegExp): (error: unknown) => boolean {
  return (error) => {
    assert.ok(error instanceof UserError, `expected a UserError, got ${String(error)}`);
    assert.equal(error.code, code, error.message);
    assert.match(error.message, pattern);
    return true;
  };
}

async function readAll(stream: AsyncIterable<unknown>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

describe('RegistryClient with anonymous Bearer tokens', () => {
  let registry: FakeRegistry;
  let manifestDigest: Digest;
  before(async () => {
    registry = await startFakeRegistry({ auth: 'bearer' });
    manifestDigest = registry.putManifest('team/app', MANIFEST, 'v1');
  });
  after(() => registry.close());

  it('answers the 401 challenge with a token for the challenge scope and service', async () => {
    const client = new RegistryClient(registry.host);
    const fetched = await client.getManifest('team/app', 'v1');
    assert.equal(fetched.digest, manifestDigest);
    assert.deepEqual(JSON.parse(fetched.bytes.toString()), MANIFEST);
    assert.equal(fetched.contentType, 'application/vnd.oci.image.manifest.v1+json');
    const tokenRequests = registry.requests.filter((r) => r.startsWith('GET /token'));
    assert.equal(tokenRequests.length, 1);
    const query = new URL(`http://x${tokenRequests[0]!.slice(4)}`).searchParams;
    assert.equal(query.get('scope'), 'repository:team/app:pull');
    assert.equal(query.get('service'), 'fake-registry');
  });

  it('reuses the token for later requests', async () => {
    const client = new RegistryClient(registry.host);
    const before = registry.requests.filter((r) => r.startsWith('GET /token')).length;
    await client.getManifest('team/app', 'v1');
    await client.getManifest('team/app', manifestDigest);
    assert.equal(registry.requests.filter((r) => r.startsWith('GET /token')).length, before + 1);
  });

  it('checks a manifest fetched by digest against that digest', async () => {
    const wrong = sha256Digest('something else');
    registry.putManifest('team/app', { ...MANIFEST, annotations: { a: 'b' } }, wrong);
    await assert.rejects(new RegistryClient(registry.host).getManifest('team/app', wrong), userError('digest-mismatch', /manifest sha256:.* of 127\.0\.0\.1:\d+\/team\/app: .*digest is sha256:/));
  });

  it('explains a missing manifest with the registry error code', async () => {
    await assert.rejects(new RegistryClient(registry.host).getManifest('team/app', 'nope'),
      userError('registry-not-found', /manifest nope of 127\.0\.0\.1:\d+\/team\/app: not found \(HTTP 404, MANIFEST_UNKNOWN: manifest unknown\); check the repository name/));
  });

  it('streams a blob through a redirect and verifies it', async () => {
    const bytes = Buffer.from('layer bytes '.repeat(1000));
    const digest = registry.putBlob('team/app', bytes);
    const client = new RegistryClient(registry.host);
    assert.deepEqual(await readAll(await client.openBlob('team/app', digest, bytes.length)), bytes);
    assert.ok(registry.requests.includes(`GET /storage/team/app@${digest}`));
  });

  it('fails a blob whose content does not match its digest', async () => {
    const digest = registry.putBlob('team/app', Buffer.from('real'), Buffer.from('fake'));
    await assert.rejects(readAll(await new RegistryClient(registry.host).openBlob('team/app', digest)),
      userError('digest-mismatch', new RegExp(`blob ${digest} of .*: content has digest ${sha256Digest('fake')}`)));
  });

  it('fails a blob whose size differs from the manifest', async () => {
    const digest = registry.putBlob('team/app', Buffer.from('12345'));
    await assert.rejects(readAll(await new RegistryClient(registry.host).openBlob('team/app', digest, 4)), userError('digest-mismatch', /more than the 4 bytes/));
    await assert.rejects(new RegistryClient(registry.host).getBlob('team/app', digest, 6), userError('digest-mismatch', /5 bytes, the manifest states 6/));
  });

  it('explains a missing blob', async () => {
    await assert.rejects(new RegistryClient(registry.host).openBlob('team/app', sha256Digest('absent')), userError('registry-not-found', /BLOB_UNKNOWN/));
  });

  it('falls back from https to plain http for a local registry, or goes straight to http when insecure', async () => {
    const fetched = await new RegistryClient(registry.host, { insecure: true }).getManifest('team/app', 'v1');
    assert.equal(fetched.digest, manifestDigest);
    await new RegistryClient(`localhost:${registry.host.split(':')[1]}`).getManifest('team/app', 'v1');
  });

  it('gives up on a registry that stops answering', async () => {
    registry.hang.add('/v2/team/slow/manifests/v1');
    await assert.rejects(new RegistryClient(registry.host, { timeoutMs: 200 }).getManifest('team/slow', 'v1'), userError('registry-timeout', /no data from http:\/\/127\.0\.0\.1:\d+ for 0\.2 s/));
  });
});

describe('RegistryClient with credentials', () => {
  const credentials = { username: 'alice', password: 's3cret' };

  it('sends credentials to the token service', async () => {
    const registry = await startFakeRegistry({ auth: 'bearer', credentials });
    try {
      registry.putManifest('private/app', MANIFEST, 'v1');
      await assert.rejects(new RegistryClient(registry.host).getManifest('private/app', 'v1'),
        userError('registry-auth', /refused \(HTTP 401\); the registry needs credentials: set NIX_STRATA_REGISTRY_USERNAME/));
      await assert.rejects(new RegistryClient(registry.host, { credentials: { username: 'alice', password: 'wrong' } }).getManifest('private/app', 'v1'),
        userError('registry-auth', /check NIX_STRATA_REGISTRY_USERNAME and NIX_STRATA_REGISTRY_PASSWORD/));
      const fetched = await new RegistryClient(registry.host, { credentials }).getManifest('private/app', 'v1');
      assert.deepEqual(JSON.parse(fetched.bytes.toString()), MANIFEST);
    } finally {
      await registry.close();
    }
  });

  it('answers a Basic challenge', async () => {
    const registry = await startFakeRegistry({ auth: 'basic', credentials });
    try {
      registry.putManifest('private/app', MANIFEST, 'v1');
      await assert.rejects(new RegistryClient(registry.host).getManifest('private/app', 'v1'), userError('registry-auth', /needs a user name and password/));
      await assert.rejects(new RegistryClient(registry.host, { credentials: { username: 'bob', password: 'x' } }).getManifest('private/app', 'v1'), userError('registry-auth', /access denied \(HTTP 401\)/));
      await new RegistryClient(registry.host, { credentials }).getManifest('private/app', 'v1');
    } finally {
      await registry.close();
    }
  });

  it('reads credentials from the environment only when a user name is set', () => {
    assert.deepEqual(credentialsFromEnv({ NIX_STRATA_REGISTRY_USERNAME: 'u', NIX_STRATA_REGISTRY_PASSWORD: 'p' }), { username: 'u', password: 'p' });
    assert.equal(credentialsFromEnv({ NIX_STRATA_REGISTRY_PASSWORD: 'p' }), undefined);
    assert.equal(credentialsFromEnv({}), undefined);
  });
});

describe('RegistryClient network failures', () => {
  it('explains a refused connection', async () => {
    // A port that was free a moment ago: nothing listens there.
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await assert.rejects(new RegistryClient(`127.0.0.1:${port}`).getManifest('a/b', 'v1'),
      userError('registry-unreachable', new RegExp(`manifest v1 of 127\\.0\\.0\\.1:${port}/a/b: cannot reach https://127\\.0\\.0\\.1:${port}: connection refused; check the registry address`)));
  });
});
