// A throwaway Debian docker-registry on a free 127.0.0.1 port, for the e2e tests that push
// with skopeo and pull with nix-strata (registry.test.ts, pull-image.test.ts). Only 127.0.0.1
// is contacted.
import { spawn } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import { createServer } from 'node:net';
import { join } from 'node:path';

/** A running registry. */
export interface LocalRegistry {
  /** `127.0.0.1:<port>`, the host part of image references. */
  readonly address: string;
  /** Stops the registry (SIGTERM) and waits for it to exit; safe to call twice. */
  stop(): Promise<void>;
}

/** A certificate and key (PEM files) the registry serves https with, and the CA that signed it. */
export interface RegistryTls {
  readonly certificate: string;
  readonly key: string;
  readonly ca: string;
}

/** Starts docker-registry with its config and storage in `dir` (https with `tls`); resolves once `/v2/` answers (15 s at most). */
export async function startLocalRegistry(dir: string, tls?: RegistryTls): Promise<LocalRegistry> {
  const address = `127.0.0.1:${await freePort()}`;
  await writeFile(join(dir, 'config.yml'), [
    'version: 0.1',
    'log:',
    '  level: warn',
    'storage:',
    '  filesystem:',
    `    rootdirectory: ${join(dir, 'storage')}`,
    'http:',
    `  addr: ${address}`,
    ...(tls ? ['  tls:', `    certificate: ${tls.certificate}`, `    key: ${tls.key}`] : []),
    '',
  ].join('\n'));
  const ca = tls ? await readFile(tls.ca, 'utf8') : undefined;
  const child = spawn('docker-registry', ['serve', join(dir, 'config.yml')], { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  child.stdout.on('data', (chunk: Buffer) => { log += chunk.toString(); });
  child.stderr.on('data', (chunk: Buffer) => { log += chunk.toString(); });
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    await new Promise((resolve) => child.once('exit', resolve));
  };
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`docker-registry exited (${child.exitCode}): ${log}`);
    if (await answers(address, ca)) return { address, stop };
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  // A registry that never answered must not outlive the test run.
  await stop();
  throw new Error(`docker-registry did not start: ${log}`);
}

// Whether GET /v2/ succeeds, over https trusting `ca` when given.
function answers(address: string, ca: string | undefined): Promise<boolean> {
  return new Promise((resolve) => {
    const request = ca === undefined ? http.get(`http://${address}/v2/`) : https.get(`https://${address}/v2/`, { ca });
    request.on('response', (response) => { response.resume(); resolve(response.statusCode === 200); });
    request.on('error', () => resolve(false));
  });
}

// A port nothing listens on right now (the registry binds it a moment later).
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
