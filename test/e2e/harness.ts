// End-to-end harness: builds images with real Nix (test/e2e/images.nix through
// test/nix/host.nix), loads them into the real Docker daemon and runs them without network.
// Every image a test file loads is removed again by `Docker.cleanup()`.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';

/** The repository root (the tests run nix-build on files inside it). */
export const repoRoot = fileURLToPath(new URL('../..', import.meta.url)).replace(/\/$/, '');

/** The Nix store as the Docker daemon sees it, for `--volume`: inside the trixie root (scripts/in-trixie.sh) its store is a host directory. */
export const dockerStoreDir = process.env['NIX_STRATA_DOCKER_STORE'] ?? '/nix/store';

/** The Nix file defining the e2e fixtures, one attribute per acceptance fixture. */
export const imagesFile = join(repoRoot, 'test/e2e/images.nix');

// Nix occasionally kills a build on this machine for no reason of ours (NixOS/nix#2176);
// only this exact message is retried, anything else is a real failure.
const spuriousKill = 'failed due to signal 9 (Killed)';
const attempts = 3;

/** Result of a Nix command that is expected to fail. */
export interface Failure {
  readonly exitCode: number | undefined;
  readonly stderr: string;
}

// Runs a Nix command, retrying only the spurious signal-9 failure.
async function nix(command: string, args: readonly string[]): Promise<{ stdout: string; stderr: string; exitCode: number | undefined }> {
  for (let attempt = 1; ; attempt++) {
    const result = await execa(command, args, { cwd: repoRoot, reject: false, stdin: 'ignore' });
    const stderr = String(result.stderr);
    if (result.exitCode !== 0 && stderr.includes(spuriousKill) && attempt < attempts) continue;
    return { stdout: String(result.stdout), stderr, exitCode: result.exitCode };
  }
}

/** `nix path-info --json` of one store path. Nix 2.19 changed the output from a list of infos to an object keyed by path; both are read. */
export async function pathInfo(path: string): Promise<{ narHash: string; narSize: number; references: string[] }> {
  const { stdout } = await execa('nix', ['path-info', '--json', path], { stdin: 'ignore' });
  const parsed = JSON.parse(String(stdout)) as unknown;
  const info = Array.isArray(parsed) ? parsed[0] : Object.values(parsed as Record<string, unknown>)[0];
  return info as { narHash: string; narSize: number; references: string[] };
}

/** A built fixture: its store path and, from the same evaluation, the reference it loads as. */
export interface BuiltImage {
  readonly path: string;
  readonly imageName: string;
  readonly imageTag: string;
}

/**
 * Builds attributes of test/e2e/images.nix. One evaluation gives each fixture's derivation,
 * imageName and imageTag, then one `nix-store --realise` builds them all, so the tags always
 * belong to the images built (test/nix/host.nix reads dist/, which may be rebuilt meanwhile).
 */
export async function buildImages(attributes: readonly string[]): Promise<Record<string, BuiltImage>> {
  const selected = attributes.map((a) => `${JSON.stringify(a)} = images.${JSON.stringify(a)};`).join(' ');
  // --read-write-mode: evaluating drvPath then writes the .drv files nix-store builds.
  const evaluated = await evalJson(`let images = import ${imagesFile} { }; in
    builtins.mapAttrs (_: i: { inherit (i) drvPath imageName imageTag; }) { ${selected} }`, ['--read-write-mode']) as Record<string, { drvPath: string; imageName: string; imageTag: string }>;
  const drvs = attributes.map((a) => evaluated[a]!.drvPath);
  const { stdout, stderr, exitCode } = await nix('nix-store', ['--realise', ...drvs]);
  if (exitCode !== 0) throw new Error(`building ${attributes.join(' ')} failed (exit ${exitCode}):\n${stderr.slice(-6000)}`);
  const paths = stdout.trim().split('\n');
  if (paths.length !== attributes.length) throw new Error(`nix-store --realise printed ${paths.length} paths for ${attributes.length} derivations:\n${stdout}`);
  return Object.fromEntries(attributes.map((a, i) => [a, { path: paths[i]!, imageName: evaluated[a]!.imageName, imageTag: evaluated[a]!.imageTag }]));
}

/** Nix options for a build in the sandbox as users have it (host programs through /usr only), failing if there is none. */
export const sandboxed = ['--option', 'sandbox', 'true', '--option', 'sandbox-fallback', 'false',
  '--option', 'extra-sandbox-paths', '/usr /lib=/usr/lib /lib64=/usr/lib64'] as const;

/** Builds a Nix expression (evaluated in the repository root), with extra nix-build `options`; returns its store path. */
export async function buildExpression(expression: string, options: readonly string[] = []): Promise<string> {
  const { stdout, stderr, exitCode } = await nix('nix-build', ['--no-out-link', ...options, '-E', expression]);
  if (exitCode !== 0) throw new Error(`nix-build -E failed (exit ${exitCode}):\n${stderr.slice(-6000)}`);
  return stdout.trim();
}

/** Builds an expression that must fail (with extra nix-build `options`); returns how it failed. */
export async function buildFailure(expression: string, options: readonly string[] = []): Promise<Failure> {
  const { stderr, exitCode } = await nix('nix-build', ['--no-out-link', ...options, '-E', expression]);
  if (exitCode === 0) throw new Error(`expected nix-build to fail for: ${expression}`);
  return { exitCode, stderr };
}

/** Evaluates an expression strictly to JSON. */
export async function evalJson(expression: string, options: readonly string[] = []): Promise<unknown> {
  const { stdout, stderr, exitCode } = await nix('nix-instantiate', ['--eval', '--strict', '--json', ...options, '-E', expression]);
  if (exitCode !== 0) throw new Error(`nix-instantiate --eval failed (exit ${exitCode}):\n${stderr.slice(-4000)}`);
  return JSON.parse(stdout);
}

/** Instantiates an expression that must fail at evaluation; returns the error text. */
export async function evalFailure(expression: string): Promise<Failure> {
  const { stderr, exitCode } = await nix('nix-instantiate', ['-E', expression]);
  if (exitCode === 0) throw new Error(`expected evaluation to fail for: ${expression}`);
  return { exitCode, stderr };
}

/** `nix <command> --override-input nixpkgs ./test/nix/host-nixpkgs <args>` on the repository's flake: the real flake.nix, offline. */
export const flakeOverride = ['--override-input', 'nixpkgs', './test/nix/host-nixpkgs'] as const;

let seeded: Promise<void> | undefined;
/**
 * Adds the npm tarballs the host stand-in builds nix/package.nix from to the store, from npm's
 * cache (test/nix/seed-npm-tarballs.sh): a sandboxed build cannot read that cache. Once per process.
 */
export function seedNpmTarballs(): Promise<void> {
  seeded ??= execa('bash', [join(repoRoot, 'test/nix/seed-npm-tarballs.sh')], { stdin: 'ignore' }).then(() => undefined);
  return seeded;
}

/** Builds flake installables (with the host nixpkgs stand-in); returns their store paths. */
export async function flakeBuild(installables: readonly string[]): Promise<string[]> {
  await seedNpmTarballs();
  const { stdout, stderr, exitCode } = await nix('nix', ['build', ...flakeOverride, '--no-link', '--json', ...installables]);
  if (exitCode !== 0) throw new Error(`nix build ${installables.join(' ')} failed (exit ${exitCode}):\n${stderr.slice(-6000)}`);
  return (JSON.parse(stdout) as Array<{ outputs: { out: string } }>).map((r) => r.outputs.out);
}

/** `nix flake check` (with the host nixpkgs stand-in). */
export async function flakeCheck(): Promise<void> {
  await seedNpmTarballs();
  const { stderr, exitCode } = await nix('nix', ['flake', 'check', ...flakeOverride]);
  if (exitCode !== 0) throw new Error(`nix flake check failed (exit ${exitCode}):\n${stderr.slice(-6000)}`);
}

/** A Nix expression for `attr` of the e2e fixtures. */
export function fixture(attr: string): string {
  return `(import ${imagesFile} { }).${JSON.stringify(attr)}`;
}

/** Docker, remembering every reference it loads so the test file can remove them afterwards. */
export class Docker {
  readonly #loaded = new Set<string>();

  /** Loads an archive (plain, gzip, or zstd through `zstd -dc`, which Docker 20.10 lacks) or runs a stream executable into `docker load`; returns the loaded reference. */
  async load(path: string, kind: 'archive' | 'zstd' | 'stream' = 'archive'): Promise<string> {
    const script = {
      archive: 'docker load --input "$1"',
      zstd: 'zstd -dc "$1" | docker load',
      stream: '"$1" | docker load',
    }[kind];
    const { stdout } = await execa('bash', ['-o', 'pipefail', '-c', script, 'load', path], { stdin: 'ignore' });
    return this.#remember(String(stdout));
  }

  /** Pipes a command's stdout (e.g. `nix run .#img.stream`, run in the repository root) into `docker load`; returns the loaded reference. */
  async loadFrom(command: readonly string[]): Promise<string> {
    const { stdout } = await execa('bash', ['-o', 'pipefail', '-c', '"$@" | docker load', 'load', ...command], { stdin: 'ignore', cwd: repoRoot });
    return this.#remember(String(stdout));
  }

  #remember(stdout: string): string {
    const match = /^Loaded image: (.+)$/m.exec(stdout);
    if (!match) throw new Error(`docker load printed no image reference:\n${stdout}`);
    const reference = match[1]!.trim();
    this.#loaded.add(reference);
    return reference;
  }

  /** Runs a container without network; returns stdout, throwing on a non-zero exit. */
  async run(reference: string, command: readonly string[] = [], options: readonly string[] = []): Promise<string> {
    const { stdout } = await execa('docker', ['run', '--rm', '--network', 'none', ...options, reference, ...command], { stdin: 'ignore' });
    return String(stdout);
  }

  /** Runs a container that is expected to fail; returns its exit code and stderr. */
  async runFailing(reference: string, command: readonly string[] = [], options: readonly string[] = []): Promise<{ exitCode: number | undefined; stderr: string }> {
    const result = await execa('docker', ['run', '--rm', '--network', 'none', ...options, reference, ...command], { stdin: 'ignore', reject: false });
    return { exitCode: result.exitCode, stderr: String(result.stderr) };
  }

  /** `docker inspect --format <format>` of an image. */
  async inspect(reference: string, format: string): Promise<string> {
    const { stdout } = await execa('docker', ['image', 'inspect', '--format', format, reference], { stdin: 'ignore' });
    return String(stdout).trim();
  }

  /** The image's layer diff IDs, bottom to top. */
  async layers(reference: string): Promise<string[]> {
    return JSON.parse(await this.inspect(reference, '{{json .RootFS.Layers}}')) as string[];
  }

  /** The image's config (`.Config`). */
  async config(reference: string): Promise<{ Env?: string[]; Cmd?: string[]; User?: string }> {
    return JSON.parse(await this.inspect(reference, '{{json .Config}}')) as { Env?: string[] };
  }

  /** Every path in the image's flattened filesystem, as `docker export` of a created container lists it. */
  async files(reference: string): Promise<string[]> {
    const { stdout: id } = await execa('docker', ['create', '--network', 'none', reference, 'true'], { stdin: 'ignore' });
    try {
      const { stdout } = await execa('bash', ['-o', 'pipefail', '-c', 'docker export "$1" | tar -t', 'export', String(id).trim()], { stdin: 'ignore' });
      return String(stdout).split('\n').filter((line) => line !== '');
    } finally {
      await execa('docker', ['rm', '--force', String(id).trim()], { stdin: 'ignore' });
    }
  }

  /** `docker save` of a loaded image into a fresh temporary file; returns its path and a remover. */
  async save(reference: string): Promise<{ path: string; remove: () => Promise<void> }> {
    const dir = await mkdtemp(join(tmpdir(), 'nix-strata-e2e-'));
    const path = join(dir, 'saved.tar');
    await execa('docker', ['save', '--output', path, reference], { stdin: 'ignore' });
    return { path, remove: () => rm(dir, { recursive: true, force: true }) };
  }

  /** Removes a loaded reference now (part of what a test checks). */
  async remove(reference: string): Promise<void> {
    await execa('docker', ['rmi', reference], { stdin: 'ignore' });
    this.#loaded.delete(reference);
  }

  /** Removes every reference this instance loaded. */
  async cleanup(): Promise<void> {
    const references = [...this.#loaded];
    this.#loaded.clear();
    if (references.length > 0) await execa('docker', ['rmi', '--force', ...references], { stdin: 'ignore', reject: false });
  }
}

/** Unpacks a stream executable's output (or a gzip'd archive) into a fresh directory; returns its layer files (bottom to top) and a remover. */
export async function unpackStream(image: string, kind: 'stream' | 'archive' = 'stream'): Promise<{ dir: string; layers: string[]; remove: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'nix-strata-e2e-'));
  const script = kind === 'stream' ? '"$1" | tar -xf - -C "$2"' : 'tar -xzf "$1" -C "$2"';
  await execa('bash', ['-o', 'pipefail', '-c', script, 'unpack', image, dir], { stdin: 'ignore' });
  const manifest = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')) as Array<{ Layers: string[] }>;
  return { dir, layers: manifest[0]!.Layers.map((layer) => join(dir, layer)), remove: () => rm(dir, { recursive: true, force: true }) };
}
