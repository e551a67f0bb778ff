// End to end: pushImage into Debian's docker-registry serving https with a CA made here and
// htpasswd (bcrypt) basic auth. TLS is verified unless tlsVerify is false, and SSL_CERT_FILE's
// CA is trusted; credentials come from the files `docker login` and `podman login` write, and
// from a docker-credential helper; a secret never shows in an error or a log line.
import assert from 'node:assert/strict';
import { chmod, copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { execa } from 'execa';
import type { Logger } from '../../src/log.ts';
import { pushImage, type PushOptions } from '../../src/sinks/registry.ts';
import { testImage } from '../registry/push-fixture.ts';
import { startLocalRegistry, type LocalRegistry } from './local-registry.ts';
import { dockerPullRun } from './pushed-image.ts';
import { makeServerCertificates } from './test-pki.ts';

const USER = 'alice';
const PASSWORD = 'pw-Zq8s3cr3t-never-printed';

/** Expects a one-line UserError of `code` matching `pattern` that does not contain the password. */
async function failsWith(push: Promise<unknown>, code: string, pattern: RegExp): Promise<void> {
  await assert.rejects(push, (error: Error & { code?: string }) => {
    assert.equal(error.name, 'UserError', error.stack);
    assert.equal(error.code, code, error.message);
    assert.ok(!error.message.includes('\n'), error.message);
    assert.ok(!error.message.includes(PASSWORD) && !error.message.includes('Zq8s3cr3t'), error.message);
    assert.match(error.message, pattern);
    return true;
  });
}

describe('pushing over https with basic auth', { timeout: 240_000 }, () => {
  let dir: string;
  let registry: LocalRegistry;
  let host: string;
  let ca: string;
  const lines: string[] = [];
  const log: Logger = { info: (line) => lines.push(line), progress: (line) => lines.push(line) };
  const savedCertFile = process.env.SSL_CERT_FILE;
  const options = (env: NodeJS.ProcessEnv, extra: Partial<PushOptions> = {}): PushOptions => ({
    env: { HOME: join(dir, 'home'), ...env }, home: join(dir, 'home'), blobInfoCache: false, log,
    retry: { attempts: 2, firstDelayMs: 20 }, ...extra,
  });

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'nix-strata-e2e-push-tls-'));
    await mkdir(join(dir, 'home'));
    const tls = await makeServerCertificates(dir);
    ca = tls.ca;
    const htpasswd = (await execa('htpasswd', ['-Bbn', USER, PASSWORD])).stdout;
    await writeFile(join(dir, 'htpasswd'), `${htpasswd.trim()}\n`);
    registry = await startLocalRegistry(dir, tls, { auth: { htpasswd: join(dir, 'htpasswd') } });
    host = registry.address;
  });
  after(async () => {
    if (savedCertFile === undefined) delete process.env.SSL_CERT_FILE;
    else process.env.SSL_CERT_FILE = savedCertFile;
    await registry?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('refuses a certificate it cannot verify, and is never retried over http', async () => {
    delete process.env.SSL_CERT_FILE;
    await failsWith(pushImage(testImage('tls'), [`${host}/secure/app:1`], options({})), 'registry-certificate',
      /^manifest 1 of 127\.0\.0\.1:\d+\/secure\/app: cannot reach https:\/\/127\.0\.0\.1:\d+: TLS certificate not trusted, .*; trust the registry's CA through SSL_CERT_FILE/);
  });

  it('asks for credentials when there are none, and refuses wrong ones without quoting them', async () => {
    await failsWith(pushImage(testImage('tls'), [`${host}/secure/app:1`], options({}, { tlsVerify: false })), 'registry-auth',
      /: the registry needs a user name and password: log in with `docker login 127\.0\.0\.1:\d+` or `podman login 127\.0\.0\.1:\d+`, or set NIX_STRATA_REGISTRY_USERNAME/);
    const wrong = `${PASSWORD}-wrong`;
    await failsWith(pushImage(testImage('tls'), [`${host}/secure/app:1`], options({ NIX_STRATA_REGISTRY_USERNAME: USER, NIX_STRATA_REGISTRY_PASSWORD: wrong }, { tlsVerify: false })),
      'registry-auth', /: access denied \(HTTP 401\); check that NIX_STRATA_REGISTRY_USERNAME may pull secure\/app/);
  });

  it('pushes with the CA from SSL_CERT_FILE and the credentials docker login wrote; docker pulls and runs it', async () => {
    process.env.SSL_CERT_FILE = ca;
    const dockerConfig = join(dir, 'docker-config');
    await execa('docker', ['--config', dockerConfig, 'login', '--username', USER, '--password-stdin', host], { input: PASSWORD });
    const result = await pushImage(testImage('docker-login'), [`${host}/secure/app:1`], options({ DOCKER_CONFIG: dockerConfig }));
    const certDir = join(dir, 'skopeo-certs');
    await mkdir(certDir);
    await copyFile(ca, join(certDir, 'ca.crt'));
    const inspected = JSON.parse((await execa('skopeo', ['inspect', '--cert-dir', certDir, '--creds', `${USER}:${PASSWORD}`, `docker://${host}/secure/app:1`])).stdout) as { Digest: string };
    assert.equal(inspected.Digest, result.digest);
    assert.equal(await dockerPullRunWith(dockerConfig, `${host}/secure/app:1`, result.digest), 'pushed docker-login');
  });

  it('pushes with the auth.json podman login wrote (REGISTRY_AUTH_FILE); podman pulls it', async () => {
    process.env.SSL_CERT_FILE = ca;
    const authFile = join(dir, 'auth.json');
    await execa('podman', ['login', '--tls-verify=false', '--authfile', authFile, '--username', USER, '--password-stdin', host], { input: PASSWORD });
    const result = await pushImage(testImage('podman-login'), [`${host}/secure/podman:1`], options({ REGISTRY_AUTH_FILE: authFile }));
    await execa('podman', ['pull', '--quiet', '--tls-verify=false', '--authfile', authFile, `${host}/secure/podman:1`]);
    try {
      const digest = (await execa('podman', ['image', 'inspect', '--format', '{{.Digest}}', `${host}/secure/podman:1`])).stdout.trim();
      assert.equal(digest, result.digest);
    } finally {
      await execa('podman', ['rmi', `${host}/secure/podman:1`], { reject: false });
    }
  });

  it('pushes with a credsStore helper (docker-credential-<name> get), tlsVerify=false needing no CA', async () => {
    delete process.env.SSL_CERT_FILE;
    const bin = join(dir, 'bin');
    await mkdir(bin, { recursive: true });
    // The helper answers for this registry only, as docker-credential-helpers do.
    await writeFile(join(bin, 'docker-credential-strata-test'), `#!/bin/sh
[ "$1" = get ] || exit 1
read server
if [ "$server" = "${host}" ]; then printf '{"ServerURL":"%s","Username":"${USER}","Secret":"${PASSWORD}"}' "$server"; else echo "credentials not found in native keychain"; exit 1; fi
`);
    await chmod(join(bin, 'docker-credential-strata-test'), 0o755);
    const dockerConfig = join(dir, 'helper-config');
    await mkdir(dockerConfig);
    await writeFile(join(dockerConfig, 'config.json'), JSON.stringify({ auths: { [host]: {} }, credsStore: 'strata-test' }));
    const result = await pushImage(testImage('helper'), [`${host}/secure/helper:1`],
      options({ DOCKER_CONFIG: dockerConfig, PATH: `${bin}:${process.env.PATH ?? ''}` }, { tlsVerify: false }));
    assert.match(result.digest, /^sha256:/);
    assert.ok(lines.length > 0);
    assert.ok(lines.every((line) => !line.includes(PASSWORD)), 'no log line holds the password');
  });
});

// docker pull with the login in `config` (docker's own file), then run.
async function dockerPullRunWith(config: string, reference: string, digest: string): Promise<string> {
  const saved = process.env.DOCKER_CONFIG;
  process.env.DOCKER_CONFIG = config;
  try {
    return await dockerPullRun(reference, digest);
  } finally {
    if (saved === undefined) delete process.env.DOCKER_CONFIG;
    else process.env.DOCKER_CONFIG = saved;
  }
}
