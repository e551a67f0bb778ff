// End to end: pushImage into Debian's docker-registry behind token auth (`auth: token:`, a
// token service of the test signing with a certificate made here). The push asks for
// `repository:<name>:pull,push`, and a cross-repository mount also for the source's `pull`;
// anonymous pushes and a wrong password fail with one line naming what to do, never the secret.
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pushImage, type PushOptions } from '../../src/sinks/registry.ts';
import { testImage } from '../registry/push-fixture.ts';
import { startTokenServer, type TokenServer } from '../registry/token-server.ts';
import { startLocalRegistry, type LocalRegistry } from './local-registry.ts';
import { podmanPullWith, skopeoInspect } from './pushed-image.ts';
import { makeSigningKey } from './test-pki.ts';

const PASSWORD = 'tok-Pw-9981-never-printed';

async function failsWith(push: Promise<unknown>, code: string, pattern: RegExp): Promise<void> {
  await assert.rejects(push, (error: Error & { code?: string }) => {
    assert.equal(error.name, 'UserError', error.stack);
    assert.equal(error.code, code, error.message);
    assert.ok(!error.message.includes('\n') && !error.message.includes(PASSWORD), error.message);
    assert.match(error.message, pattern);
    return true;
  });
}

describe('pushing to a registry behind token auth', { timeout: 240_000 }, () => {
  let dir: string;
  let registry: LocalRegistry;
  let tokens: TokenServer;
  let host: string;
  let dockerConfig: string;
  const options = (extra: Partial<PushOptions> = {}): PushOptions => ({
    env: { HOME: join(dir, 'home'), DOCKER_CONFIG: dockerConfig }, home: join(dir, 'home'), blobInfoCache: false,
    retry: { attempts: 2, firstDelayMs: 20 }, ...extra,
  });
  const login = async (password: string): Promise<void> => {
    const auth = Buffer.from(`bob:${password}`).toString('base64');
    await writeFile(join(dockerConfig, 'config.json'), JSON.stringify({ auths: { [`http://${host}/v1/`]: { auth } } }));
  };

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'nix-strata-e2e-push-token-'));
    dockerConfig = join(dir, 'docker');
    await mkdir(dockerConfig);
    const signing = await makeSigningKey(dir);
    const issuer = 'nix-strata-test-issuer';
    const service = 'nix-strata-test-registry';
    tokens = await startTokenServer({ issuer, service, keyPem: signing.keyPem, certificateDerBase64: signing.certificateDerBase64, users: { bob: PASSWORD } });
    registry = await startLocalRegistry(dir, undefined, { auth: { token: { realm: tokens.realm, service, issuer, rootCertBundle: signing.certificateFile } } });
    host = registry.address;
  });
  after(async () => {
    await registry?.stop();
    await tokens?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('refuses an anonymous push (a pull-only token) with one line', async () => {
    await rm(join(dockerConfig, 'config.json'), { force: true });
    await failsWith(pushImage(testImage('anonymous'), [`${host}/team/app:1`], options()), 'registry-auth',
      /: access denied \(HTTP 401, after renewing the token\); the repository may be private or misspelt: log in with `docker login 127\.0\.0\.1:\d+`/);
  });

  it('says a wrong password was refused by the token service, naming the file it came from', async () => {
    await login('not-the-password');
    await failsWith(pushImage(testImage('wrong'), [`${host}/team/app:1`], options()), 'registry-auth',
      /^token for .* from http:\/\/127\.0\.0\.1:\d+: refused \(HTTP 401\); check the credentials for 127\.0\.0\.1:\d+ in .*docker\/config\.json \(log in again\)$/);
  });

  it('pushes with a push token, and mounts into a second repository with the source\'s pull scope', async () => {
    await login(PASSWORD);
    const seen = tokens.requests.length;
    const result = await pushImage(testImage('token'), [`${host}/team/app:1`, `${host}/team/mirror:1`], options());
    const scopes = tokens.requests.slice(seen).filter((r) => r.status === 200).map((r) => r.scopes.join(' '));
    assert.ok(scopes.includes('repository:team/app:pull,push'), scopes.join(' | '));
    assert.ok(scopes.includes('repository:team/mirror:pull,push repository:team/app:pull'), scopes.join(' | '));
    // Concurrent requests share one token per set of scopes: none is fetched twice.
    assert.equal(new Set(scopes).size, scopes.length, scopes.join(' | '));
    assert.equal(registry.blobUploads('team/mirror'), 0);
    assert.equal(result.blobs.mounted, 4);
    assert.ok(tokens.requests.slice(seen).every((r) => r.user === 'bob'));
    const creds = ['--tls-verify=false', '--creds', `bob:${PASSWORD}`];
    assert.equal((await skopeoInspect(`${host}/team/mirror:1`, creds)).Digest, result.digest);
    assert.equal(await podmanPullWith(`${host}/team/app:1`, ['--creds', `bob:${PASSWORD}`]), result.digest);
  });
});
