// A throwaway Debian docker-registry on a free 127.0.0.1 port, for the e2e tests that push
// with skopeo and pull with nix-strata (registry.test.ts, pull-image.test.ts). Only 127.0.0.1
// is contacted.
import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';

/** A running registry. */
export interface LocalRegistry {
  /** `127.0.0.1:<port>`, the host part of image references. */
  readonly address: string;
  /** Stops the registry (SIGTERM) and waits for it to exit; safe to call twice. */
  stop(): Promise<void>;
}

/** Starts docker-registry with its config and storage in `dir`; resolves once `/v2/` answers (15 s at most). */
export async function startLocalRegistry(dir: string): Promise<LocalRegistry> {
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
    '',
  ].join('\n'));
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
    if (await fetch(`http://${address}/v2/`).then((r) => r.ok, () => false)) return { address, stop };
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  // A registry that never answered must not outlive the test run.
  await stop();
  throw new Error(`docker-registry did not start: ${log}`);
}

// A port nothing listens on right now (the registry binds it a moment later).
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
