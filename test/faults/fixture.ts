// A throwaway "store" (any directory works as storeDir for the builder), a customisation
// layer, a base.json and a .attrs.json, so the CLI's conf and stream can be driven by hand
// without Nix. Plus helpers that check a failure is clean: one `nix-strata: ` line, no
// stack trace, nothing half-written left behind.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readdir, writeFile, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa, type Options } from 'execa';
import { tarOf } from '../sinks/vectors.ts';

/** The repository root (test/faults/../..). */
export const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
/** The compiled CLI; tests that use it need `npm run build` first. */
export const cli = join(repoRoot, 'bin/nix-strata.js');

/** A store, a customisation layer and the attrs/conf paths of one image. */
export interface Fixture {
  readonly work: string;
  readonly storeDir: string;
  /** `lib` (a data file of `dataSize` bytes) and `app` (references lib). */
  readonly lib: string;
  readonly app: string;
  readonly customisation: string;
  readonly baseJson: string;
  readonly attrsPath: string;
  readonly confPath: string;
}

/** Options of makeFixture. */
export interface FixtureOptions {
  /** Size of lib's data file (default 64 KiB); `sparse` makes it a hole, cheap on disk. */
  readonly dataSize?: number;
  readonly sparse?: boolean;
  /** Extra spec fields, e.g. fromImage or created. */
  readonly spec?: Record<string, unknown>;
  /** Replaces the closure graph written into the attrs. */
  readonly closure?: (lib: string, app: string) => unknown;
}

const HASH_A = '0'.repeat(31) + 'a';
const HASH_B = '0'.repeat(31) + 'b';

/** Deterministic pseudo-random bytes (xorshift32), incompressible enough for gzip. */
export function noise(size: number, seed = 1): Buffer {
  const out = Buffer.alloc(size);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < size; i += 4) {
    x ^= x << 13; x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5; x >>>= 0;
    out.writeUInt32LE(x, i <= size - 4 ? i : size - 4);
  }
  return out;
}

/** Builds the store, layer, base.json and attrs.json in a fresh temporary directory. */
export async function makeFixture(options: FixtureOptions = {}): Promise<Fixture> {
  const work = await mkdtemp(join(tmpdir(), 'strata-faults-'));
  const storeDir = join(work, 'store');
  const lib = join(storeDir, `${HASH_A}-lib`);
  const app = join(storeDir, `${HASH_B}-app`);
  await mkdir(join(lib, 'share'), { recursive: true });
  await mkdir(join(app, 'bin'), { recursive: true });
  const dataSize = options.dataSize ?? 64 << 10;
  if (options.sparse) {
    await execa('truncate', ['-s', String(dataSize), join(lib, 'share', 'data')]);
  } else {
    await writeFile(join(lib, 'share', 'data'), noise(dataSize));
  }
  await writeFile(join(app, 'bin', 'app'), '#!/bin/sh\necho hello\n', { mode: 0o755 });
  await symlink(join(lib, 'share'), join(app, 'share'));

  const customisation = join(work, 'customisation');
  await mkdir(customisation);
  const layerTar = tarOf([[{ name: 'greeting', type: 'file', mode: 0o644, uid: 0, gid: 0, uname: '', gname: '', size: 6, mtime: 1 }, Buffer.from('hello\n')]]);
  await writeFile(join(customisation, 'layer.tar'), layerTar);
  await writeFile(join(customisation, 'checksum'), createHash('sha256').update(layerTar).digest('hex'));

  const baseJson = join(work, 'base.json');
  await writeFile(baseJson, JSON.stringify({ architecture: 'amd64', config: { Cmd: ['/bin/app'] }, os: 'linux' }));
  const closure = options.closure?.(lib, app) ?? [
    { path: lib, narHash: 'sha256-lib', narSize: dataSize, references: [] },
    { path: app, narHash: 'sha256-app', narSize: 100, references: [lib, app] },
  ];
  const attrs = {
    spec: {
      version: 1, imageName: 'strata-faults', tag: 'test', architecture: 'amd64',
      created: '1970-01-01T00:00:01Z', mtime: '1970-01-01T00:00:01Z', uid: 0, gid: 0, uname: 'root', gname: 'root',
      maxLayers: 100, layeringStrategy: 'popularity', layeringPipeline: null, fromImage: null,
      baseJson, customisationLayer: customisation, customisationContents: null, includeStorePaths: true, storeDir, givenLayers: [],
      ...options.spec,
    },
    closure,
    outputs: { out: join(work, 'unused-out') },
  };
  const attrsPath = join(work, 'attrs.json');
  await writeFile(attrsPath, JSON.stringify(attrs));
  return { work, storeDir, lib, app, customisation, baseJson, attrsPath, confPath: join(work, 'conf.json') };
}

/** What a CLI run gave. */
export interface CliResult {
  readonly exitCode?: number | undefined;
  readonly signal?: string | undefined;
  readonly stdout: Uint8Array;
  readonly stderr: Uint8Array;
}

/** Runs the compiled CLI; never rejects. */
export async function runCli(args: readonly string[], options: Options = {}): Promise<CliResult> {
  return await execa('node', [cli, ...args], {
    reject: false,
    encoding: 'buffer',
    stdin: 'ignore',
    timeout: 60_000,
    ...options,
  }) as unknown as CliResult;
}

/** `nix-strata conf` for the fixture, which must succeed. */
export async function writeConf(fixture: Fixture, extra: readonly string[] = []): Promise<void> {
  const result = await runCli(['conf', '--attrs', fixture.attrsPath, '--out', fixture.confPath, ...extra]);
  assert.equal(result.exitCode, 0, `conf failed: ${String(result.stderr)}`);
}

/**
 * A failed run as the user should see it: non-zero exit (1 for a user error), exactly one
 * line starting `nix-strata: ` (progress lines may precede it), no stack trace, no spew.
 */
export function assertCleanFailure(result: { exitCode?: number | undefined; stderr: unknown; signal?: string | undefined }, pattern: RegExp, expectedExit = 1): string {
  const stderr = Buffer.isBuffer(result.stderr) || result.stderr instanceof Uint8Array ? Buffer.from(result.stderr).toString('utf8') : String(result.stderr);
  assert.equal(result.exitCode, expectedExit, `exit code (signal ${result.signal ?? 'none'}); stderr:\n${stderr}`);
  const lines = stderr.split('\n').filter((line) => line !== '');
  const ours = lines.filter((line) => line.startsWith('nix-strata: '));
  assert.equal(ours.length, 1, `exactly one nix-strata: line; stderr:\n${stderr}`);
  assert.equal(lines.at(-1), ours[0], `the error is the last line; stderr:\n${stderr}`);
  assert.ok(!/^\s+at /m.test(stderr), `no stack trace; stderr:\n${stderr}`);
  assert.ok(!/internal error|EPIPE|Error \[/.test(stderr), `no internal error or raw Node error; stderr:\n${stderr}`);
  assert.match(ours[0]!, pattern);
  return ours[0]!;
}

/** Asserts `dir` holds no file named `name` and nothing that looks like a temporary file. */
export async function assertNothingLeft(dir: string, name: string): Promise<void> {
  const entries = await readdir(dir);
  assert.ok(!entries.includes(name), `${name} must not exist in ${dir}: ${entries.join(', ')}`);
  const temporary = entries.filter((entry) => entry.includes('partial'));
  assert.deepEqual(temporary, [], `temporary files left in ${dir}`);
}
