// Credentials for a registry where users already keep them: NIX_STRATA_REGISTRY_USERNAME/
// PASSWORD, then containers' auth.json ($REGISTRY_AUTH_FILE, else
// $XDG_RUNTIME_DIR/containers/auth.json), then docker's config.json ($DOCKER_CONFIG/config.json,
// else ~/.docker/config.json), as podman and skopeo look them up. In each file: `credHelpers`
// for the host, then an `auths` entry (base64 `auth`, or `username`/`password`), then the
// `credsStore`; a helper is `docker-credential-<name> get` with the server on stdin
// (docker-credential-helpers' protocol). No secret is ever put in a message.
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { UserError } from '../errors.ts';
import { credentialsFromEnv, type CredentialHelp, type RegistryCredentials } from './client.ts';
import { DOCKER_HUB } from './reference.ts';

/** What was found for a registry: credentials (maybe none) and how auth errors should explain them. */
export interface FoundCredentials {
  readonly credentials?: RegistryCredentials;
  readonly help: CredentialHelp;
}

interface AuthFile {
  readonly auths?: Record<string, { auth?: unknown; username?: unknown; password?: unknown }>;
  readonly credHelpers?: Record<string, unknown>;
  readonly credsStore?: unknown;
}

// docker keeps Docker Hub's credentials under its v1 URL; these hosts all mean Docker Hub.
const DOCKER_HUB_KEY = 'https://index.docker.io/v1/';
const DOCKER_HUB_HOSTS = new Set([DOCKER_HUB, 'index.docker.io', 'registry-1.docker.io']);

/** The files searched, in order, for this environment. */
function authFiles(env: NodeJS.ProcessEnv = process.env, home: string = homedir()): string[] {
  const containers = env.REGISTRY_AUTH_FILE
    ? [env.REGISTRY_AUTH_FILE]
    : env.XDG_RUNTIME_DIR ? [join(env.XDG_RUNTIME_DIR, 'containers/auth.json')] : [];
  const docker = env.DOCKER_CONFIG ? join(env.DOCKER_CONFIG, 'config.json') : join(home, '.docker/config.json');
  return [...containers, docker];
}

/** Finds credentials for `registry` (a host as in references); `repository` lets auth.json's per-repository entries apply. */
export async function findCredentials(registry: string, repository?: string, env: NodeJS.ProcessEnv = process.env, home: string = homedir()): Promise<FoundCredentials> {
  const missing = `log in with \`docker login ${registry}\` or \`podman login ${registry}\`, or set NIX_STRATA_REGISTRY_USERNAME and NIX_STRATA_REGISTRY_PASSWORD`;
  const fromEnv = credentialsFromEnv(env);
  if (fromEnv) {
    return { credentials: fromEnv, help: { missing, wrong: 'check NIX_STRATA_REGISTRY_USERNAME and NIX_STRATA_REGISTRY_PASSWORD', who: 'NIX_STRATA_REGISTRY_USERNAME' } };
  }
  for (const file of authFiles(env, home)) {
    const parsed = await readAuthFile(file);
    if (parsed === undefined) continue;
    const credentials = await credentialsIn(parsed, file, registry, repository, env);
    if (credentials !== undefined) {
      return { credentials, help: { missing, wrong: `check the credentials for ${registry} in ${file} (log in again)`, who: `the user ${JSON.stringify(credentials.username)} from ${file}` } };
    }
  }
  return { help: { missing, wrong: missing, who: 'anonymous access' } };
}

async function readAuthFile(file: string): Promise<AuthFile | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as { code?: unknown }).code === 'ENOENT') return undefined;
    throw new UserError('auth-file', `cannot read ${file}: ${String((error as { code?: unknown }).code ?? error)}; fix its permissions or remove it`, { cause: error });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    // JSON.parse's message quotes the text around the error, which may be a password.
    throw new UserError('auth-file', `${file}: not valid JSON; fix it or log in again (docker login / podman login rewrite it)`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new UserError('auth-file', `${file}: expected a JSON object; fix it or log in again`);
  return json as AuthFile;
}

async function credentialsIn(file: AuthFile, path: string, registry: string, repository: string | undefined, env: NodeJS.ProcessEnv): Promise<RegistryCredentials | undefined> {
  const hostKeys = DOCKER_HUB_HOSTS.has(registry) ? [...DOCKER_HUB_HOSTS, DOCKER_HUB_KEY] : [registry];
  const helper = hostKeys.map((key) => file.credHelpers?.[key]).find((name) => name !== undefined);
  if (helper !== undefined) return runHelper(helper, path, registry, env);
  const entry = findEntry(file.auths ?? {}, registry, repository);
  const decoded = entry === undefined ? undefined : decodeEntry(entry.value, `${path}: auths[${JSON.stringify(entry.key)}]`);
  if (decoded !== undefined) return decoded;
  if (file.credsStore !== undefined) return runHelper(file.credsStore, path, registry, env);
  return undefined;
}

// The most specific `auths` key for host/repository (auth.json allows `host/namespace` keys);
// docker's keys may carry a scheme and a path (`https://host/v1/`).
function findEntry(auths: NonNullable<AuthFile['auths']>, registry: string, repository: string | undefined): { key: string; value: NonNullable<AuthFile['auths']>[string] } | undefined {
  const hub = DOCKER_HUB_HOSTS.has(registry);
  let best: { key: string; value: NonNullable<AuthFile['auths']>[string]; length: number } | undefined;
  for (const [key, value] of Object.entries(auths)) {
    const bare = key.replace(/^https?:\/\//, '');
    const [host = '', ...path] = bare.split('/');
    const sameHost = hub ? DOCKER_HUB_HOSTS.has(host) : host === registry;
    if (!sameHost) continue;
    const prefix = path.filter((part) => part !== '' && !/^v[12]$/.test(part)).join('/');
    if (prefix !== '' && (repository === undefined || (repository !== prefix && !repository.startsWith(`${prefix}/`)))) continue;
    if (best === undefined || prefix.length > best.length) best = { key, value, length: prefix.length };
  }
  return best;
}

function decodeEntry(entry: NonNullable<AuthFile['auths']>[string], where: string): RegistryCredentials | undefined {
  if (typeof entry.auth === 'string' && entry.auth !== '') {
    const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon <= 0) throw new UserError('auth-file', `${where}.auth: not base64 of "user:password"; log in again`);
    return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
  }
  if (typeof entry.username === 'string' && entry.username !== '' && typeof entry.password === 'string') {
    return { username: entry.username, password: entry.password };
  }
  // `{}` placeholders sit beside a credsStore: the store has the secret.
  return undefined;
}

/** Runs `docker-credential-<name> get`; "credentials not found" is no credentials, any other failure an error. */
async function runHelper(name: unknown, file: string, registry: string, env: NodeJS.ProcessEnv): Promise<RegistryCredentials | undefined> {
  if (typeof name !== 'string' || !/^[\w.-]+$/.test(name)) throw new UserError('auth-file', `${file}: the credential helper name ${JSON.stringify(name)} is not a program name; fix the file`);
  const program = `docker-credential-${name}`;
  const server = DOCKER_HUB_HOSTS.has(registry) ? DOCKER_HUB_KEY : registry;
  // execa is loaded only here: importing it takes a fifth of a second.
  const { execa } = await import('execa');
  const result = await execa(program, ['get'], { input: server, env, extendEnv: false, reject: false, timeout: 60_000 });
  const where = `the credential helper ${program} (named in ${file}) for ${registry}`;
  if (result.failed) {
    if ((result as { code?: string }).code === 'ENOENT') throw new UserError('auth-helper', `${where}: not found on PATH; install it or remove it from ${file}`);
    // Its output is never quoted (it might hold a secret); helpers say "credentials not found" on stdout.
    if (/credentials not found/i.test(result.stdout)) return undefined;
    throw new UserError('auth-helper', `${where}: failed (${result.timedOut ? 'timed out' : `exit status ${String(result.exitCode)}`}); run \`echo ${server} | ${program} get\` to see why`);
  }
  let json: { Username?: unknown; Secret?: unknown };
  try {
    json = JSON.parse(result.stdout) as typeof json;
  } catch {
    throw new UserError('auth-helper', `${where}: its answer is not JSON; check the helper`);
  }
  if (typeof json.Username !== 'string' || typeof json.Secret !== 'string') throw new UserError('auth-helper', `${where}: its answer has no Username and Secret; check the helper`);
  if (json.Secret === '') return undefined;
  return { username: json.Username, password: json.Secret };
}
