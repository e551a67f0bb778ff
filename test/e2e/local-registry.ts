// A throwaway Debian docker-registry on a free 127.0.0.1 port, for the e2e tests that push
// and pull (registry.test.ts, pull-image.test.ts, push-*.test.ts): plain or https, optionally
// behind htpasswd basic auth or a token service. Its access log is kept, to count uploads.
// Only 127.0.0.1 is contacted.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import { createServer } from 'node:net';
import { join } from 'node:path';

/** A running registry. */
export interface LocalRegistry {
  /** `127.0.0.1:<port>`, the host part of image references. */
  readonly address: string;
  /** Everything the registry printed so far (its access log included). */
  log(): string;
  /** Completed blob uploads (a PUT with `?digest=` answered 201) into `repository`, or into any repository. */
  blobUploads(repository?: string): number;
  /** Stops the registry (SIGTERM) and waits for it to exit; safe to call twice. */
  stop(): Promise<void>;
  /** Kills the registry at once (SIGKILL), as a crash would. */
  kill(): Promise<void>;
  /** Starts it again on the same address and storage (after stop or kill). */
  restart(): Promise<void>;
}

/** A certificate and key (PEM files) the registry serves https with, and the CA that signed it. */
export interface RegistryTls {
  readonly certificate: string;
  readonly key: string;
  readonly ca: string;
}

/** How clients authenticate. */
export type RegistryAuth =
  | { readonly htpasswd: string }
  | { readonly token: { readonly realm: string; readonly service: string; readonly issuer: string; readonly rootCertBundle: string } };

/** Extra settings. */
export interface LocalRegistryOptions {
  readonly auth?: RegistryAuth;
  /** Storage directory (default `dir/storage`), e.g. a small tmpfs for a full disk. */
  readonly storage?: string;
}

/** Starts docker-registry with its config and storage in `dir` (https with `tls`); resolves once `/v2/` answers (15 s at most). */
export async function startLocalRegistry(dir: string, tls?: RegistryTls, options: LocalRegistryOptions = {}): Promise<LocalRegistry> {
  const address = `127.0.0.1:${await freePort()}`;
  await writeFile(join(dir, 'config.yml'), [
    'version: 0.1',
    'log:',
    '  level: warn',
    'storage:',
    '  filesystem:',
    `    rootdirectory: ${options.storage ?? join(dir, 'storage')}`,
    // Deleting is how a test makes a repository lose a blob.
    '  delete:',
    '    enabled: true',
    'http:',
    `  addr: ${address}`,
    ...(tls ? ['  tls:', `    certificate: ${tls.certificate}`, `    key: ${tls.key}`] : []),
    ...authConfig(options.auth),
    '',
  ].join('\n'));
  const ca = tls ? await readFile(tls.ca, 'utf8') : undefined;
  let child: ChildProcess;
  let log = '';
  const stopWith = async (signal: NodeJS.Signals): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill(signal);
    await exited;
  };
  const start = async (): Promise<void> => {
    child = spawn('docker-registry', ['serve', join(dir, 'config.yml')], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout!.on('data', (chunk: Buffer) => { log += chunk.toString(); });
    child.stderr!.on('data', (chunk: Buffer) => { log += chunk.toString(); });
    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline) {
      if (child.exitCode !== null) throw new Error(`docker-registry exited (${child.exitCode}): ${log}`);
      // With auth, /v2/ answers 401: that is an answer too.
      if (await answers(address, ca)) return;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    // A registry that never answered must not outlive the test run.
    await stopWith('SIGTERM');
    throw new Error(`docker-registry did not start: ${log}`);
  };
  await start();
  return {
    address,
    log: () => log,
    blobUploads: (repository) => accessLines(log).filter((line) => {
      const match = /"PUT \/v2\/(.+)\/blobs\/uploads\/[^" ]*[?&]digest=[^" ]* HTTP\/[\d.]+" 201 /.exec(line);
      return match !== null && (repository === undefined || match[1] === repository);
    }).length,
    stop: () => stopWith('SIGTERM'),
    kill: () => stopWith('SIGKILL'),
    restart: start,
  };
}

function authConfig(auth: RegistryAuth | undefined): string[] {
  if (auth === undefined) return [];
  if ('htpasswd' in auth) return ['auth:', '  htpasswd:', '    realm: nix-strata-test', `    path: ${auth.htpasswd}`];
  const { realm, service, issuer, rootCertBundle } = auth.token;
  return ['auth:', '  token:', `    realm: ${realm}`, `    service: ${service}`, `    issuer: ${issuer}`, `    rootcertbundle: ${rootCertBundle}`];
}

// The access log's lines (combined log format, one per request).
function accessLines(log: string): string[] {
  return log.split('\n').filter((line) => /^\S+ - \S+ \[[^\]]+\] "/.test(line));
}

// Whether GET /v2/ gets an answer (200, or 401 behind auth), over https trusting `ca` when given.
function answers(address: string, ca: string | undefined): Promise<boolean> {
  return new Promise((resolve) => {
    const request = ca === undefined ? http.get(`http://${address}/v2/`) : https.get(`https://${address}/v2/`, { ca });
    request.on('response', (response) => { response.resume(); resolve(response.statusCode === 200 || response.statusCode === 401); });
    request.on('error', () => resolve(false));
  });
}

// A port nothing listens on right now (the registry binds it a moment later).
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
