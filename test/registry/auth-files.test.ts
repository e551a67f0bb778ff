// Where push credentials come from (registry/auth-files.ts): the environment, containers'
// auth.json, docker's config.json with auths, credHelpers and credsStore; and that no secret
// reaches an error message.
import assert from 'node:assert/strict';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { findCredentials } from '../../src/registry/auth-files.ts';

const SECRET = 's3cr3t-Hunter2-never-printed';
const b64 = (text: string): string => Buffer.from(text).toString('base64');

describe('finding registry credentials', () => {
  let dir: string;
  let home: string;
  let bin: string;
  const env = (extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => ({ HOME: home, PATH: `${bin}:/usr/bin:/bin`, ...extra });
  const writeJson = async (path: string, value: unknown): Promise<string> => {
    await mkdir(join(path, '..'), { recursive: true });
    await writeFile(path, typeof value === 'string' ? value : JSON.stringify(value));
    return path;
  };
  const rejectsWithoutSecret = async (promise: Promise<unknown>, pattern: RegExp): Promise<void> => {
    await assert.rejects(promise, (error: Error) => {
      assert.equal(error.name, 'UserError', error.stack);
      assert.ok(!error.message.includes(SECRET) && !error.message.includes(b64(`u:${SECRET}`)), error.message);
      assert.ok(!error.message.includes('\n'), error.message);
      assert.match(error.message, pattern);
      return true;
    });
  };

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'nix-strata-auth-files-'));
    home = join(dir, 'home');
    bin = join(dir, 'bin');
    await mkdir(bin, { recursive: true });
    // A helper that knows one server, as docker-credential-helpers do; `broken` fails after printing the secret.
    await writeFile(join(bin, 'docker-credential-fake'), `#!/bin/sh
read server
case "$server" in
  registry.example) printf '{"ServerURL":"registry.example","Username":"helper-user","Secret":"${SECRET}"}' ;;
  https://index.docker.io/v1/) printf '{"ServerURL":"hub","Username":"hub-user","Secret":"${SECRET}"}' ;;
  broken.example) echo "${SECRET}"; exit 3 ;;
  garbled.example) echo "not json ${SECRET}" ;;
  *) echo "credentials not found in native keychain"; exit 1 ;;
esac
`);
    await chmod(join(bin, 'docker-credential-fake'), 0o755);
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('looks in auth.json ($REGISTRY_AUTH_FILE, else $XDG_RUNTIME_DIR), then docker config ($DOCKER_CONFIG, else ~/.docker)', async () => {
    // Each file holds a different user for order.example (or, when `none`, nothing for it); the user found names the file read.
    const root = join(dir, 'order');
    const files = { named: join(root, 'a.json'), runtime: join(root, 'run/containers/auth.json'), dockerConfig: join(root, 'd/config.json'), home: join(root, 'h/.docker/config.json') };
    const user = async (env: NodeJS.ProcessEnv, none: readonly (keyof typeof files)[] = []): Promise<string | undefined> => {
      for (const [name, path] of Object.entries(files)) {
        await writeJson(path, { auths: none.includes(name as keyof typeof files) ? {} : { 'order.example': { auth: b64(`${name}:pw`) } } });
      }
      return (await findCredentials('order.example', 'app', { PATH: '/usr/bin:/bin', ...env }, join(root, 'h'))).credentials?.username;
    };
    const all = { REGISTRY_AUTH_FILE: files.named, XDG_RUNTIME_DIR: join(root, 'run'), DOCKER_CONFIG: join(root, 'd') };
    assert.equal(await user(all), 'named');
    // $REGISTRY_AUTH_FILE replaces the $XDG_RUNTIME_DIR file rather than coming before it.
    assert.equal(await user(all, ['named']), 'dockerConfig');
    assert.equal(await user({ XDG_RUNTIME_DIR: all.XDG_RUNTIME_DIR }), 'runtime');
    assert.equal(await user({ XDG_RUNTIME_DIR: all.XDG_RUNTIME_DIR }, ['runtime']), 'home');
    assert.equal(await user({ DOCKER_CONFIG: all.DOCKER_CONFIG }), 'dockerConfig');
    assert.equal(await user({}), 'home');
    assert.equal(await user({}, ['home']), undefined);
  });

  it('takes NIX_STRATA_REGISTRY_USERNAME/PASSWORD first', async () => {
    await writeJson(join(home, '.docker/config.json'), { auths: { 'registry.example': { auth: b64('file-user:x') } } });
    const found = await findCredentials('registry.example', 'app', env({ NIX_STRATA_REGISTRY_USERNAME: 'env-user', NIX_STRATA_REGISTRY_PASSWORD: SECRET }), home);
    assert.deepEqual(found.credentials, { username: 'env-user', password: SECRET });
  });

  it('decodes a docker auths entry (base64 auth, or username/password), Docker Hub under its v1 URL', async () => {
    const config = await writeJson(join(home, '.docker/config.json'), {
      auths: {
        'registry.example': { auth: b64(`u:${SECRET}`) },
        'https://other.example/v1/': { username: 'plain', password: 'pw' },
        'https://index.docker.io/v1/': { auth: b64('hub:pw') },
      },
    });
    const found = await findCredentials('registry.example', 'team/app', env(), home);
    assert.deepEqual(found.credentials, { username: 'u', password: SECRET });
    assert.match(found.help.wrong, new RegExp(`check the credentials for registry\\.example in ${config}`));
    assert.ok(!JSON.stringify(found.help).includes(SECRET));
    assert.deepEqual((await findCredentials('other.example', 'x', env(), home)).credentials, { username: 'plain', password: 'pw' });
    assert.deepEqual((await findCredentials('docker.io', 'library/alpine', env(), home)).credentials, { username: 'hub', password: 'pw' });
    assert.equal((await findCredentials('unknown.example', 'x', env(), home)).credentials, undefined);
  });

  it('prefers auth.json, and its most specific host/namespace entry', async () => {
    const authFile = await writeJson(join(dir, 'auth.json'), {
      auths: { 'registry.example': { auth: b64('host-wide:1') }, 'registry.example/team': { auth: b64('team-only:2') } },
    });
    const found = (repository: string) => findCredentials('registry.example', repository, env({ REGISTRY_AUTH_FILE: authFile }), home);
    assert.equal((await found('team/app')).credentials?.username, 'team-only');
    assert.equal((await found('teammate/app')).credentials?.username, 'host-wide');
    const runtime = join(dir, 'run');
    await writeJson(join(runtime, 'containers/auth.json'), { auths: { 'registry.example': { auth: b64('runtime:3') } } });
    assert.equal((await findCredentials('registry.example', 'x', env({ XDG_RUNTIME_DIR: runtime }), home)).credentials?.username, 'runtime');
  });

  it('runs credHelpers for the host, and the credsStore for hosts with only a placeholder', async () => {
    const dockerConfig = join(dir, 'helpers');
    await writeJson(join(dockerConfig, 'config.json'), { auths: { 'stored.example': {} }, credHelpers: { 'registry.example': 'fake', 'docker.io': 'fake' }, credsStore: 'fake' });
    const found = (registry: string) => findCredentials(registry, 'x', env({ DOCKER_CONFIG: dockerConfig }), home);
    assert.deepEqual((await found('registry.example')).credentials, { username: 'helper-user', password: SECRET });
    assert.deepEqual((await found('docker.io')).credentials, { username: 'hub-user', password: SECRET });
    // The store says "credentials not found": anonymous.
    assert.equal((await found('stored.example')).credentials, undefined);
  });

  it('fails with one line, never quoting what a helper printed', async () => {
    const dockerConfig = join(dir, 'broken');
    await writeJson(join(dockerConfig, 'config.json'), { credHelpers: { 'broken.example': 'fake', 'garbled.example': 'fake', 'absent.example': 'absent' } });
    const found = (registry: string) => findCredentials(registry, 'x', env({ DOCKER_CONFIG: dockerConfig }), home);
    await rejectsWithoutSecret(found('broken.example'), /^the credential helper docker-credential-fake \(named in .*config\.json\) for broken\.example: failed \(exit status 3\); run `echo broken\.example \| docker-credential-fake get` to see why$/);
    await rejectsWithoutSecret(found('garbled.example'), /docker-credential-fake .*: its answer is not JSON; check the helper$/);
    await rejectsWithoutSecret(found('absent.example'), /docker-credential-absent .*: not found on PATH; install it or remove it from /);
  });

  it('rejects a broken file without quoting its contents', async () => {
    const broken = await writeJson(join(dir, 'bad/config.json'), `{"auths": {"registry.example": {"auth": "${SECRET}"`);
    await rejectsWithoutSecret(findCredentials('registry.example', 'x', env({ DOCKER_CONFIG: join(dir, 'bad') }), home), new RegExp(`^${broken}: not valid JSON; fix it or log in again`));
    await writeJson(join(dir, 'bad64/config.json'), { auths: { 'registry.example': { auth: b64(SECRET) } } });
    await rejectsWithoutSecret(findCredentials('registry.example', 'x', env({ DOCKER_CONFIG: join(dir, 'bad64') }), home), /auths\["registry\.example"\]\.auth: not base64 of "user:password"; log in again$/);
  });
});
