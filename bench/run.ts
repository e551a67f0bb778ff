// `npm run bench`: builds a synthetic closure from this machine's own directories with Nix, makes
// a streamLayeredImage of it (test/nix/host.nix wires the working tree's builder), and measures,
// in one run: the reference limit (read + sha256 of every closure file in Node), the stream
// piped to `wc -c` (as `| docker load` reads it) and to /dev/null, a full build against a
// rebuild after one small store path changed, with the sandbox on and off, and peak RSS.
// Each measurement is repeated (BENCH_REPEAT, default 5) and the median kept. Prints a markdown
// table and writes it, with the machine's description, to bench/results.md.
//
// The archive rows: buildLayeredImage's .tar.gz rebuilt after the small path changed, nixpkgs'
// way (`stream | pigz -nTR`) against nix-strata's with the copies in a buildLayer (needs
// nix/build-layer.nix; without it that row says "not measured"). BENCH_ROWS=archive runs only
// them and prints them (bench/results.md untouched); BENCH_ROWS=push only the push rows.
// Settings (environment): BENCH_SIZE_MB (default 1200: the closure's approximate size),
// BENCH_REPEAT (default 5), BENCH_DIRS (colon-separated directories to use instead of the
// built-in candidates), BENCH_SANDBOX (`on`, `off` or `both`, the default: which builds to
// time). Needs Nix and a built dist/. The sandbox is asked for on the command line, without
// fallback, with the host's /usr (for the stand-ins): `--option sandbox true --option
// sandbox-fallback false --option extra-sandbox-paths "/usr /lib=/usr/lib /lib64=/usr/lib64"`.
// BENCH_NIX=trixie runs it on the current Nix of the trixie root (scripts/in-trixie.sh) with the
// same closure: the host directories it picks are bound read-only into the root at /host<dir>
// (their store paths are the same), and the table goes to bench/results-trixie.md.
import { spawnSync, type SpawnSyncOptions } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, statSync, lstatSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { pushSection, withPushSection } from './push.ts';

const repo = new URL('..', import.meta.url).pathname.replace(/\/$/, '');
const sizeTarget = Number(process.env.BENCH_SIZE_MB ?? 1200) * 1024 * 1024;
const repeat = Math.max(1, Number(process.env.BENCH_REPEAT ?? 5));
const sandboxModes = ({ on: ['on'], off: ['off'], both: ['on', 'off'] } as const)[process.env.BENCH_SANDBOX as 'on' | 'off' | 'both' ?? 'both'];
if (sandboxModes === undefined) throw new Error(`BENCH_SANDBOX must be on, off or both, not ${process.env.BENCH_SANDBOX}`);
type Sandbox = 'on' | 'off';
const SANDBOX_OPTIONS: Record<Sandbox, string[]> = {
  on: ['--option', 'sandbox', 'true', '--option', 'sandbox-fallback', 'false', '--option', 'extra-sandbox-paths', '/usr /lib=/usr/lib /lib64=/usr/lib64'],
  off: ['--option', 'sandbox', 'false'],
};
const inTrixie = process.env.BENCH_IN_TRIXIE === '1';
if (!['host', 'trixie', undefined].includes(process.env.BENCH_NIX)) throw new Error(`BENCH_NIX must be host or trixie, not ${process.env.BENCH_NIX}`);
const resultsFile = join(repo, inTrixie ? 'bench/results-trixie.md' : 'bench/results.md');
const work = mkdtempSync(join(tmpdir(), 'nix-strata-bench-'));

// Directories with many files of all sizes, in the order they are taken until the size target.
const CANDIDATES = [
  '/usr/share/man', '/usr/share/doc', '/usr/share/locale', '/usr/share/icons', '/usr/lib/python3',
  '/usr/share/cmake-3.25', '/usr/share/vim', '/usr/lib/python3.11', '/usr/share/perl', '/usr/lib/postgresql',
  '/usr/lib/llvm-14', '/usr/lib/gcc', '/usr/share/i18n', '/usr/share/zoneinfo', '/usr/share/mime',
  '/usr/lib/git-core', '/usr/lib/cni', '/usr/lib/node_modules', '/usr/share/package-lists', '/usr/share/perl5',
  '/usr/lib/jvm', '/usr/lib/x86_64-linux-gnu', '/usr/share/fonts', '/usr/share/X11', '/usr/share/java',
];

function log(message: string): void {
  process.stderr.write(`[bench] ${message}\n`);
}

function run(command: string, args: string[], options: SpawnSyncOptions = {}): string {
  const result = spawnSync(command, args, { encoding: 'utf8', maxBuffer: 64 << 20, ...options });
  if (result.error) throw result.error;
  if (result.status !== 0) {
    throw new Error(`${command} ${args.join(' ')} failed (${result.status ?? result.signal}):\n${String(result.stderr ?? '').slice(-4000)}`);
  }
  return String(result.stdout ?? '').trim();
}

// nix-build can fail spuriously with exactly "failed due to signal 9 (Killed)" (NixOS/nix#2176): retry only that.
function nix(command: string, args: string[]): string {
  for (let attempt = 1; ; attempt++) {
    try {
      return run(command, args);
    } catch (error) {
      if (attempt < 3 && /failed due to signal 9 \(Killed\)/.test(String(error))) continue;
      throw error;
    }
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/**
 * Wall time in seconds of a command, and its peak RSS in MB (GNU time: the largest process of
 * the command's tree, so for `sh -c 'stream | wc -c'` the stream's), stdout to /dev/null.
 */
function timed(command: string, args: string[], env: NodeJS.ProcessEnv = process.env): { seconds: number; rssMb: number } {
  const rssFile = join(work, 'rss');
  const devNull = openSync('/dev/null', 'w');
  // Without GNU time (a minimal root such as the trixie one), wall time only.
  const [program, programArgs] = hasGnuTime ? ['/usr/bin/time', ['-f', '%M', '-o', rssFile, command, ...args]] : [command, args];
  try {
    const started = performance.now();
    const result = spawnSync(program, programArgs, { stdio: ['ignore', devNull, 'pipe'], env, maxBuffer: 64 << 20 });
    const seconds = (performance.now() - started) / 1000;
    if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed (${result.status}):\n${String(result.stderr).slice(-4000)}`);
    const kb = hasGnuTime ? Number(readFileSync(rssFile, 'utf8').trim().split('\n').pop()) : Number.NaN;
    return { seconds, rssMb: kb / 1024 };
  } finally {
    closeSync(devNull);
  }
}

const hasGnuTime = existsSync('/usr/bin/time');

/** A peak RSS for the table, or why there is none. */
function megabytes(rssMb: number): string {
  return Number.isNaN(rssMb) ? 'n/a (no /usr/bin/time)' : `${rssMb.toFixed(0)} MB`;
}

function measure(label: string, times: number, once: () => number): number[] {
  const results: number[] = [];
  for (let i = 1; i <= times; i++) {
    const seconds = once();
    results.push(seconds);
    log(`${label} ${i}/${times}: ${seconds.toFixed(2)} s`);
  }
  return results;
}

function directorySize(path: string): number {
  let total = 0;
  const walk = (p: string): void => {
    const stats = lstatSync(p);
    if (stats.isDirectory()) for (const child of readdirSync(p)) walk(`${p}/${child}`);
    else total += stats.size;
  };
  walk(path);
  return total;
}

function pickDirectories(): string[] {
  if (process.env.BENCH_DIRS) return process.env.BENCH_DIRS.split(':').filter(Boolean);
  const picked: string[] = [];
  let total = 0;
  for (const dir of CANDIDATES) {
    // ~20 store paths: the directories, the small changing path and the path referring to them all.
    if (total >= sizeTarget || picked.length >= 18) break;
    if (!existsSync(dir) || !statSync(dir).isDirectory()) continue;
    const size = directorySize(dir);
    if (total + size > sizeTarget * 1.25) continue;
    picked.push(dir);
    total += size;
  }
  return picked;
}

function machine(): string {
  const model = cpus()[0]?.model ?? 'unknown CPU';
  const flags = readFileSync('/proc/cpuinfo', 'utf8').match(/^flags\s*:(.*)$/m)?.[1] ?? '';
  return [
    `- CPU: ${model}, ${availableParallelism()} cores available${/\bsha_ni\b/.test(flags) ? ', SHA-NI' : ''}`,
    `- memory: ${(totalmem() / 2 ** 30).toFixed(1)} GiB`,
    `- node ${process.version}, ${run('nix', ['--version'])}`,
    `- kernel: ${run('uname', ['-sr'])}`,
  ].join('\n');
}

function instantiate(copies: string[], nonce: string, mtime: string, attr?: string, extra?: string, withLayer = false): string {
  const args = [join(repo, 'bench/closure.nix'), '--arg', 'copies', `[ ${copies.map((c) => JSON.stringify(c)).join(' ')} ]`, '--argstr', 'nonce', nonce, '--argstr', 'mtime', mtime];
  if (extra !== undefined) args.push('--argstr', 'extra', extra);
  if (withLayer) args.push('--arg', 'withLayer', 'true');
  if (attr !== undefined) args.push('-A', attr);
  return nix('nix-instantiate', args).split('\n').pop()!;
}

/**
 * Realises `drv` with the sandbox on or off, timing it. Untimed first: the changed paths
 * themselves (bench-small, bench-root: the user's work, not ours) when `changedFirst`.
 */
function realise(drv: string, sandbox: Sandbox, changedFirst = false): number {
  if (changedFirst) {
    const changed = run('nix-store', ['--query', '--requisites', drv]).split('\n').filter((p) => /-bench-(small|root)\.drv$/.test(p));
    if (changed.length !== 2) throw new Error(`expected the bench-small and bench-root derivations in the closure of ${drv}, found ${changed.length}`);
    nix('nix-store', [...SANDBOX_OPTIONS[sandbox], '--realise', ...changed]);
  }
  const started = performance.now();
  const result = spawnSync('nix-store', [...SANDBOX_OPTIONS[sandbox], '--realise', drv], { encoding: 'utf8', maxBuffer: 64 << 20 });
  const seconds = (performance.now() - started) / 1000;
  if (result.status !== 0) {
    if (/failed due to signal 9 \(Killed\)/.test(result.stderr)) return realise(drv, sandbox, changedFirst);
    throw new Error(`nix-store --realise ${drv} (sandbox ${sandbox}) failed:\n${result.stderr.slice(-4000)}`);
  }
  return seconds;
}

let uniqueCounter = 0;
function freshMtime(): string {
  // A different mtime makes every layer's bytes new: a full build shares nothing with the last one.
  const seconds = 946684800 + (Date.now() % 10_000_000) * 10 + (uniqueCounter++ % 10);
  return new Date(seconds * 1000).toISOString().replace(/\.\d+Z$/, 'Z');
}

function nonce(): string {
  return randomBytes(8).toString('hex');
}

// BENCH_NIX=trixie: this bench again, inside the trixie root, on the host directories this machine would use.
function benchInTrixie(): void {
  const dirs = pickDirectories();
  log(`running in the trixie root (scripts/in-trixie.sh), the closure from ${dirs.join(' ')} bound read-only at /host<dir>`);
  const result = spawnSync('bash', [join(repo, 'scripts/in-trixie.sh'), 'env', 'BENCH_IN_TRIXIE=1', `BENCH_DIRS=${dirs.map((d) => `/host${d}`).join(':')}`,
    ...['BENCH_REPEAT', 'BENCH_SANDBOX', 'BENCH_SIZE_MB'].flatMap((name) => (process.env[name] === undefined ? [] : [`${name}=${process.env[name]}`])),
    process.execPath, '--import', 'tsx', join(repo, 'bench/run.ts')], { stdio: 'inherit', env: { ...process.env, NIX_STRATA_TRIXIE_RO_BINDS: dirs.join(':') } });
  if (result.error) throw result.error;
  process.exitCode = result.status ?? 1;
}

async function main(): Promise<void> {
  if (!existsSync(join(repo, 'dist/cli/main.js'))) throw new Error('dist/ is missing: run `npm run build` first (npm run bench does)');
  if (process.env.BENCH_NIX === 'trixie' && !inTrixie) {
    rmSync(work, { recursive: true, force: true });
    benchInTrixie();
    return;
  }
  try {
    await bench();
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

interface Builds {
  full: number[];
  rebuild: number[];
  rebuildOwn: number[];
}

/** Full builds (a fresh mtime and nonce) and rebuilds after one small path changed (a fresh nonce). */
function builds(copies: string[], sandbox: Sandbox): Builds {
  const result: Builds = { full: [], rebuild: [], rebuildOwn: [] };
  for (let i = 1; i <= repeat; i++) {
    const mtime = freshMtime();
    result.full.push(realise(instantiate(copies, nonce(), mtime), sandbox));
    log(`sandbox ${sandbox}: full build ${i}/${repeat}: ${result.full.at(-1)!.toFixed(2)} s`);
    result.rebuild.push(realise(instantiate(copies, nonce(), mtime), sandbox));
    log(`sandbox ${sandbox}: rebuild after one small path changed ${i}/${repeat}: ${result.rebuild.at(-1)!.toFixed(2)} s`);
    // The same rebuild without building the changed paths (built untimed first): nix-strata's
    // derivations only (customisation layer and conf, stream script), plus Nix's fixed cost.
    result.rebuildOwn.push(realise(instantiate(copies, nonce(), mtime), sandbox, true));
    log(`sandbox ${sandbox}: rebuild, changed paths built first ${i}/${repeat}: ${result.rebuildOwn.at(-1)!.toFixed(2)} s`);
  }
  return result;
}

/** Whether this checkout has buildLayer (and streamLayeredImage's `layers`), which the layered-archive row needs. */
const hasBuildLayer = existsSync(join(repo, 'nix/build-layer.nix'));

interface ArchiveRebuilds {
  nixpkgs: number[];
  /** Undefined without buildLayer. */
  withLayer: number[] | undefined;
}

/**
 * The .tar.gz of buildLayeredImage rebuilt after one small path changed (a fresh nonce, the
 * changed paths built first, untimed), side by side: nixpkgs' way (`stream | pigz -nTR`, the
 * whole archive compressed again) and nix-strata's with the copies in a buildLayer (built once,
 * untimed, before), whose stored .tar.gz blob is copied into the archive.
 */
function archiveRebuilds(copies: string[], mtime: string, sandbox: Sandbox): ArchiveRebuilds {
  const result: ArchiveRebuilds = { nixpkgs: [], withLayer: hasBuildLayer ? [] : undefined };
  if (result.withLayer !== undefined) {
    log('building the buildLayer of the copies (once, untimed)...');
    realise(instantiate(copies, nonce(), mtime, 'archive', undefined, true), sandbox);
  } else {
    log('no nix/build-layer.nix in this checkout: the buildLayer archive row is not measured');
  }
  for (let i = 1; i <= repeat; i++) {
    result.nixpkgs.push(realise(instantiate(copies, nonce(), mtime, 'nixpkgsArchive'), sandbox, true));
    log(`sandbox ${sandbox}: nixpkgs-style archive rebuild (stream | pigz -nTR) ${i}/${repeat}: ${result.nixpkgs.at(-1)!.toFixed(2)} s`);
    if (result.withLayer === undefined) continue;
    result.withLayer.push(realise(instantiate(copies, nonce(), mtime, 'archive', undefined, true), sandbox, true));
    log(`sandbox ${sandbox}: buildLayeredImage rebuild, copies in a buildLayer ${i}/${repeat}: ${result.withLayer.at(-1)!.toFixed(2)} s`);
  }
  return result;
}

/** The two archive rebuild rows; `row` formats one against the reference. */
function archiveRows(archives: ArchiveRebuilds, sandbox: Sandbox, row: (what: string, runs: number[], target?: string) => string): string[] {
  const nixpkgs = row(`nixpkgs' buildLayeredImage rebuild after one small path changed: \`stream \\| pigz -nTR > $out\` (our stream stands in for nixpkgs' Python one, which is slower: this favours nixpkgs), changed paths built first, sandbox ${sandbox}`, archives.nixpkgs);
  const what = `buildLayeredImage (.tar.gz) rebuild after one small path changed, the copies in a buildLayer (its stored .tar.gz blob copied in), changed paths built first, sandbox ${sandbox}`;
  if (archives.withLayer === undefined) return [nixpkgs, `| ${what} | not measured: no buildLayer in this checkout | | ≤ 0.10x of the row above |`];
  const share = median(archives.withLayer) / median(archives.nixpkgs);
  return [nixpkgs, row(what, archives.withLayer, `≤ 0.10x of the row above (here ${share.toFixed(3)}x)`)];
}

async function bench(): Promise<void> {
  const dirs = pickDirectories();
  log(`closure from ${dirs.length} directories: ${dirs.join(' ')}`);
  log('adding them to the store (builtins.path; slow only the first time)...');
  const copies = JSON.parse(nix('nix-instantiate', [
    '--eval', '--read-write-mode', '--strict', '--json', '--expr',
    `map (d: builtins.path { name = "bench-" + baseNameOf d; path = /. + d; }) [ ${dirs.map((d) => JSON.stringify(d)).join(' ')} ]`,
  ])) as string[];

  // Warm-up build: the closure's small paths, the customisation layer, the builder itself.
  const warmMtime = freshMtime();
  const warmNonce = nonce();
  log('warm-up build of the image...');
  const warmDrv = instantiate(copies, warmNonce, warmMtime);
  for (const sandbox of sandboxModes) realise(instantiate(copies, nonce(), warmMtime), sandbox);
  realise(warmDrv, sandboxModes[0]);
  const streamExe = run('nix-store', ['--query', '--outputs', warmDrv]);
  const confPath = run('nix-store', [...SANDBOX_OPTIONS[sandboxModes[0]], '--realise', instantiate(copies, warmNonce, warmMtime, 'conf')]);
  const conf = JSON.parse(readFileSync(confPath, 'utf8')) as { storeLayers: Array<{ paths: string[] }> };
  const closure = [...new Set(conf.storeLayers.flatMap((layer) => layer.paths))];

  // The push rows (bench/push.ts); BENCH_ROWS=push runs only them, replacing that section of bench/results.md.
  const realiseConf = (extra?: string) => run('nix-store', [...SANDBOX_OPTIONS[sandboxModes[0]], '--realise', instantiate(copies, warmNonce, warmMtime, 'conf', extra)]);
  const push = () => pushSection({ repo, work, repeat, confPath, changedConf: () => realiseConf(nonce()), log });
  // BENCH_ROWS=archive: only the archive rebuild rows, printed (bench/results.md is left as it is).
  if (process.env.BENCH_ROWS === 'archive') {
    const archives = archiveRebuilds(copies, warmMtime, sandboxModes[0]);
    const plain = (what: string, runs: number[], target = '') => `| ${what} | ${median(runs).toFixed(2)} s | ${target} |`;
    process.stdout.write(`| measurement | median | target |\n|---|---|---|\n${archiveRows(archives, sandboxModes[0], plain).join('\n')}\n`);
    return;
  }
  if (process.env.BENCH_ROWS === 'push') {
    // The trixie root's run goes to its own file, as the full run's does.
    const results = resultsFile;
    writeFileSync(results, withPushSection(existsSync(results) ? readFileSync(results, 'utf8') : '# nix-strata benchmark\n', (await push()).replace('## Push\n', `## Push\n\n${new Date().toISOString()}\n\n${machine()}\n`)));
    log(`push section written to ${results}`);
    return;
  }

  // The builds read no store file, so the page cache is filled here, untimed: every timed run
  // below starts warm (a cold first reference run took 10–13 s and skewed the medians).
  log('filling the page cache: one untimed reference run');
  run(process.execPath, [join(repo, 'bench/reference.mjs'), ...closure]);
  log('reference: read + sha256 of every closure file in one node process');
  let stats = { files: 0, bytes: 0 };
  const referenceRuns = measure('reference', repeat, () => {
    const started = performance.now();
    stats = JSON.parse(run(process.execPath, [join(repo, 'bench/reference.mjs'), ...closure])) as typeof stats;
    return (performance.now() - started) / 1000;
  });
  log(`closure: ${closure.length} store paths, ${stats.files} files, ${(stats.bytes / 2 ** 20).toFixed(0)} MiB; image layers ${conf.storeLayers.length} + customisation`);

  let archiveBytes = 0;
  let pipedRss = 0;
  const pipedRuns = measure('stream | wc -c', repeat, () => {
    const counted = join(work, 'count');
    const { seconds, rssMb } = timed('/bin/sh', ['-c', `"$0" | wc -c > "$1"`, streamExe, counted]);
    archiveBytes = Number(readFileSync(counted, 'utf8').trim());
    pipedRss = Number.isNaN(rssMb) ? rssMb : Math.max(pipedRss, rssMb);
    return seconds;
  });
  let nullRss = 0;
  const nullRuns = measure('stream > /dev/null', repeat, () => {
    const { seconds, rssMb } = timed(streamExe, []);
    nullRss = Number.isNaN(rssMb) ? rssMb : Math.max(nullRss, rssMb);
    return seconds;
  });

  // buildLayeredImage's way: into a file through a compressor.
  log('stream to a zstd-compressed file (peak RSS)');
  const compressed = timed(process.execPath, [join(repo, 'bin/nix-strata.js'), 'stream', '--conf', confPath, '--compressor', 'zstd', '--output', join(work, 'image.tar.zst')]);
  rmSync(join(work, 'image.tar.zst'), { force: true });
  log(`zstd file: ${compressed.seconds.toFixed(2)} s, ${megabytes(compressed.rssMb)}`);

  const timedBuilds = new Map(sandboxModes.map((sandbox) => [sandbox, builds(copies, sandbox)] as const));
  const archives = archiveRebuilds(copies, warmMtime, sandboxModes[0]);

  const reference = median(referenceRuns);
  const row = (what: string, runs: number[], target = '') =>
    `| ${what} | ${median(runs).toFixed(2)} s | ${(median(runs) / reference).toFixed(2)}x | ${target} |`;
  const buildRows = [...timedBuilds].flatMap(([sandbox, b]) => [
    row(`full build of the image, sandbox ${sandbox}`, b.full),
    row(`rebuild after one small store path changed, sandbox ${sandbox}`, b.rebuild, '≤ 0.15x, or no store file read (nothing is hashed at build time)'),
    row(`same rebuild, the changed paths built first (nix-strata's derivations only), sandbox ${sandbox}`, b.rebuildOwn),
  ]);
  const table = [
    '| measurement | median | ratio to reference | target |',
    '|---|---|---|---|',
    row('reference: read + sha256 of all closure files (node)', referenceRuns),
    row('stream \\| wc -c (the stream executable, piped as to docker load)', pipedRuns, '≤ 1.3x'),
    row('stream > /dev/null', nullRuns),
    ...buildRows,
    ...archiveRows(archives, sandboxModes[0], row),
    `| peak RSS, stream \\| wc -c | ${megabytes(pipedRss)} | | ≤ 150 MB |`,
    `| peak RSS, stream > /dev/null | ${megabytes(nullRss)} | | ≤ 150 MB |`,
    `| peak RSS, stream --compressor zstd --output FILE (1 run, ${compressed.seconds.toFixed(1)} s) | ${megabytes(compressed.rssMb)} | | ≤ 150 MB |`,
  ].join('\n');
  const description = [
    `Closure: ${closure.length} store paths (${dirs.length} copies of this machine's directories${inTrixie ? ', bound read-only into the trixie root,' : ''} and 2 small paths),`,
    `${stats.files} files, ${(stats.bytes / 2 ** 20).toFixed(0)} MiB of file content; ${conf.storeLayers.length} store layers,`,
    `an archive of ${(archiveBytes / 2 ** 20).toFixed(0)} MiB. Medians of ${repeat} runs; page cache warm.`,
    'A full build has a new mtime (every layer\'s bytes change) and a new small path; a rebuild changes only the small',
    'path (and the path referring to it, which changes with it). Either builds the changed paths (two trivial local',
    'derivations, preferLocalBuild like nixpkgs\' writeText), the derivation that writes the customisation layer and',
    'the conf (no extraCommands or fakeRootCommands here, so one `nix-strata conf` process does both; it plans and',
    'sizes the layers from a metadata walk, opening no store file) and the stream wrapper; "changed paths built first"',
    'leaves their building out.',
    'Sandbox on: `--option sandbox true --option sandbox-fallback false --option extra-sandbox-paths',
    '"/usr /lib=/usr/lib /lib64=/usr/lib64"`. Streams include node start-up (~0.1 s).',
    'The archive rows build buildLayeredImage\'s .tar.gz after the small path changed: nixpkgs\' way pipes the stream',
    'through `pigz -nTR` (all of it compressed again); nix-strata\'s, with the copies in one buildLayer (built once',
    'before, untimed), copies that layer\'s stored .tar.gz blob into the archive and compresses only the rest.',
  ].join(' ');
  const report = withPushSection(`# nix-strata benchmark\n\n${new Date().toISOString()}\n\n${machine()}\n\n${description}\n\n${table}\n`, await push());
  process.stdout.write(`${table}\n`);
  writeFileSync(resultsFile, report);
  log(`written to ${resultsFile}`);
}

main().catch((error: unknown) => {
  process.stderr.write(`[bench] failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
