// `npm run bench`: builds a synthetic closure from this machine's own directories with Nix, makes
// a streamLayeredImage of it (test/nix/host.nix wires the working tree's builder), and measures,
// in one run: the reference limit (read + sha256 of every closure file in Node), streaming with
// the conf's cached digests, streaming from scratch (a conf without digests), a full build
// (no cached digests) against a rebuild after one small store path changed, and peak RSS.
// Each measurement is repeated (BENCH_REPEAT, default 5) and the median kept. Prints a markdown
// table and writes it, with the machine's description, to bench/results.md.
//
// Settings (environment): BENCH_SIZE_MB (default 1200: the closure's approximate size),
// BENCH_REPEAT (default 5), BENCH_DIRS (colon-separated directories to use instead of the
// built-in candidates). Needs Nix (sandbox off, as for the e2e tests) and a built dist/.
import { spawnSync, type SpawnSyncOptions } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, statSync, lstatSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';

const repo = new URL('..', import.meta.url).pathname.replace(/\/$/, '');
const sizeTarget = Number(process.env.BENCH_SIZE_MB ?? 1200) * 1024 * 1024;
const repeat = Math.max(1, Number(process.env.BENCH_REPEAT ?? 5));
const cacheDir = '/var/cache/nix-strata';
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

/** Wall time in seconds of a command, and its peak RSS in MB (GNU time), stdout to /dev/null. */
function timed(command: string, args: string[], env: NodeJS.ProcessEnv = process.env): { seconds: number; rssMb: number } {
  const rssFile = join(work, 'rss');
  const devNull = openSync('/dev/null', 'w');
  try {
    const started = performance.now();
    const result = spawnSync('/usr/bin/time', ['-f', '%M', '-o', rssFile, command, ...args], { stdio: ['ignore', devNull, 'pipe'], env, maxBuffer: 64 << 20 });
    const seconds = (performance.now() - started) / 1000;
    if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed (${result.status}):\n${String(result.stderr).slice(-4000)}`);
    const kb = Number(readFileSync(rssFile, 'utf8').trim().split('\n').pop());
    return { seconds, rssMb: kb / 1024 };
  } finally {
    closeSync(devNull);
  }
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

function instantiate(copies: string[], nonce: string, mtime: string, attr?: string): string {
  const args = [join(repo, 'bench/closure.nix'), '--arg', 'copies', `[ ${copies.map((c) => JSON.stringify(c)).join(' ')} ]`, '--argstr', 'nonce', nonce, '--argstr', 'mtime', mtime];
  if (attr !== undefined) args.push('-A', attr);
  return nix('nix-instantiate', args).split('\n').pop()!;
}

/** The conf builder's summary line ("store layers: N, hashed M … from cache K") in a build log. */
let lastHashedLine = '';

/**
 * Realises `drv`, timing it. Untimed first: with `inputsFirst` its input derivations, with
 * `'changed'` the changed paths themselves (bench-small, bench-root: the user's work, not ours).
 */
function realise(drv: string, inputsFirst: boolean | 'changed' = false): number {
  if (inputsFirst === true) {
    // `-A conf` may name one output of a derivation (`…drv!conf`); queries take the .drv file.
    const inputs = run('nix-store', ['--query', '--references', drv.replace(/!.*$/, '')]).split('\n').filter((p) => p.endsWith('.drv'));
    if (inputs.length > 0) nix('nix-store', ['--realise', ...inputs]);
  } else if (inputsFirst === 'changed') {
    const changed = run('nix-store', ['--query', '--requisites', drv.replace(/!.*$/, '')]).split('\n').filter((p) => /-bench-(small|root)\.drv$/.test(p));
    if (changed.length !== 2) throw new Error(`expected the bench-small and bench-root derivations in the closure of ${drv}, found ${changed.length}`);
    nix('nix-store', ['--realise', ...changed]);
  }
  const started = performance.now();
  const result = spawnSync('nix-store', ['--realise', drv], { encoding: 'utf8', maxBuffer: 64 << 20 });
  const seconds = (performance.now() - started) / 1000;
  if (result.status !== 0) {
    if (/failed due to signal 9 \(Killed\)/.test(result.stderr)) return realise(drv, inputsFirst);
    throw new Error(`nix-store --realise ${drv} failed:\n${result.stderr.slice(-4000)}`);
  }
  lastHashedLine = result.stderr.match(/store layers: [^\n]*/)?.[0] ?? lastHashedLine;
  return seconds;
}

let uniqueCounter = 0;
function freshMtime(): string {
  // A different mtime gives every layer a new digest-cache key: nothing is cached.
  const seconds = 946684800 + (Date.now() % 10_000_000) * 10 + (uniqueCounter++ % 10);
  return new Date(seconds * 1000).toISOString().replace(/\.\d+Z$/, 'Z');
}

function nonce(): string {
  return randomBytes(8).toString('hex');
}

async function main(): Promise<void> {
  if (!existsSync(join(repo, 'dist/cli/main.js'))) throw new Error('dist/ is missing: run `npm run build` first (npm run bench does)');
  const createdCache = !existsSync(cacheDir);
  if (createdCache) {
    log(`creating ${cacheDir} (the digest cache conf builds use; removed again at the end)`);
    mkdirSync(cacheDir, { recursive: true });
  }
  try {
    await bench();
  } finally {
    if (createdCache) rmSync(cacheDir, { recursive: true, force: true });
    rmSync(work, { recursive: true, force: true });
  }
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
  let currentNonce = nonce();
  log('warm-up build of the image (also fills the page cache)...');
  const warmDrv = instantiate(copies, currentNonce, warmMtime);
  realise(warmDrv);
  const streamExe = run('nix-store', ['--query', '--outputs', warmDrv]);
  const confPath = run('nix-store', ['--realise', instantiate(copies, currentNonce, warmMtime, 'conf')]);
  const conf = JSON.parse(readFileSync(confPath, 'utf8')) as { storeLayers: Array<{ paths: string[]; digest?: string; size?: number }> };
  const closure = [...new Set(conf.storeLayers.flatMap((layer) => layer.paths))];
  if (conf.storeLayers.some((layer) => layer.digest === undefined)) throw new Error(`${confPath} has layers without digests; is ${cacheDir} writable?`);
  const scratchConf = join(work, 'conf-without-digests.json');
  writeFileSync(scratchConf, JSON.stringify({ ...conf, storeLayers: conf.storeLayers.map((layer) => ({ paths: layer.paths })) }));
  const layerBytes = conf.storeLayers.reduce((sum, layer) => sum + (layer.size ?? 0), 0);

  log('reference: read + sha256 of every closure file in one node process');
  let stats = { files: 0, bytes: 0 };
  const referenceRuns = measure('reference', repeat, () => {
    const started = performance.now();
    stats = JSON.parse(run(process.execPath, [join(repo, 'bench/reference.mjs'), ...closure])) as typeof stats;
    return (performance.now() - started) / 1000;
  });
  log(`closure: ${closure.length} store paths, ${stats.files} files, ${(stats.bytes / 2 ** 20).toFixed(0)} MiB; image layers ${conf.storeLayers.length} + customisation`);

  let cachedRss = 0;
  const cachedRuns = measure('stream, cached digests', repeat, () => {
    const { seconds, rssMb } = timed(streamExe, []);
    cachedRss = Math.max(cachedRss, rssMb);
    return seconds;
  });
  let scratchRss = 0;
  const scratchRuns = measure('stream from scratch', repeat, () => {
    const { seconds, rssMb } = timed(process.execPath, [join(repo, 'bin/nix-strata.js'), 'stream', '--conf', scratchConf]);
    scratchRss = Math.max(scratchRss, rssMb);
    return seconds;
  });

  // buildLayeredImage's way: into a file through a compressor (no chunk is refilled there).
  log('stream to a zstd-compressed file (peak RSS)');
  const compressed = timed(process.execPath, [join(repo, 'bin/nix-strata.js'), 'stream', '--conf', confPath, '--compressor', 'zstd', '--output', join(work, 'image.tar.zst')]);
  rmSync(join(work, 'image.tar.zst'), { force: true });
  log(`zstd file: ${compressed.seconds.toFixed(2)} s, ${compressed.rssMb.toFixed(0)} MB`);

  // Full builds: a fresh mtime (no cached digests) and a fresh nonce each time; a rebuild keeps
  // the mtime of the build before it (its digests are cached) and changes only the nonce.
  const fullImage: number[] = [];
  const fullConf: number[] = [];
  const rebuildImage: number[] = [];
  const rebuildOwn: number[] = [];
  const rebuildConf: number[] = [];
  let fullHashed = '';
  let rebuildHashed = '';
  for (let i = 1; i <= repeat; i++) {
    const mtime = freshMtime();
    currentNonce = nonce();
    fullImage.push(realise(instantiate(copies, currentNonce, mtime)));
    log(`full build ${i}/${repeat} (image): ${fullImage.at(-1)!.toFixed(2)} s; conf: ${lastHashedLine}`);
    fullHashed = lastHashedLine;
    currentNonce = nonce();
    rebuildImage.push(realise(instantiate(copies, currentNonce, mtime)));
    log(`rebuild after one small path changed ${i}/${repeat} (image): ${rebuildImage.at(-1)!.toFixed(2)} s; conf: ${lastHashedLine}`);
    rebuildHashed = lastHashedLine;
    // The same rebuild without building the changed paths (built untimed first): nix-strata's
    // derivations only (customisation layer, conf, stream script), plus Nix's fixed cost.
    currentNonce = nonce();
    rebuildOwn.push(realise(instantiate(copies, currentNonce, mtime), 'changed'));
    log(`rebuild ${i}/${repeat} (image, changed paths built first): ${rebuildOwn.at(-1)!.toFixed(2)} s`);
    // The conf step alone: its inputs (customisation layer, the changed path) built untimed first.
    const confMtime = freshMtime();
    currentNonce = nonce();
    fullConf.push(realise(instantiate(copies, currentNonce, confMtime, 'conf'), true));
    log(`full build ${i}/${repeat} (conf only): ${fullConf.at(-1)!.toFixed(2)} s`);
    currentNonce = nonce();
    rebuildConf.push(realise(instantiate(copies, currentNonce, confMtime, 'conf'), true));
    log(`rebuild ${i}/${repeat} (conf only): ${rebuildConf.at(-1)!.toFixed(2)} s`);
  }

  const reference = median(referenceRuns);
  const row = (what: string, runs: number[], base: number, target: string, extra = '') =>
    `| ${what} | ${median(runs).toFixed(2)} s | ${(median(runs) / base).toFixed(2)}x | ${target} |${extra}`;
  const table = [
    '| measurement | median | ratio | target |',
    '|---|---|---|---|',
    `| reference: read + sha256 of all closure files (node) | ${reference.toFixed(2)} s | 1.00x | |`,
    row('stream with cached digests (the stream executable > /dev/null)', cachedRuns, reference, '≤ 1.3x of reference'),
    row('stream from scratch (conf without digests > /dev/null)', scratchRuns, reference, '≤ 2.5x of reference'),
    `| full build, no cached digests (nix-store --realise of the image) | ${median(fullImage).toFixed(2)} s | | |`,
    row('rebuild after one small store path changed (image)', rebuildImage, median(fullImage), '≤ 0.15x of full build'),
    row('same rebuild, the changed paths built first (nix-strata\'s derivations only)', rebuildOwn, median(fullImage), '(for reference)'),
    `| full build, conf derivation only (customisation layer + conf; its inputs built first) | ${median(fullConf).toFixed(2)} s | | |`,
    row('rebuild after one small store path changed (conf only)', rebuildConf, median(fullConf), '≤ 0.15x of full build'),
    `| peak RSS, stream with cached digests | ${cachedRss.toFixed(0)} MB | | < 150 MB |`,
    `| peak RSS, stream from scratch | ${scratchRss.toFixed(0)} MB | | < 150 MB |`,
    `| peak RSS, stream --compressor zstd --output FILE (1 run, ${compressed.seconds.toFixed(1)} s) | ${compressed.rssMb.toFixed(0)} MB | | < 150 MB |`,
  ].join('\n');
  const description = [
    `Closure: ${closure.length} store paths (${dirs.length} copies of this machine's directories and 2 small paths),`,
    `${stats.files} files, ${(stats.bytes / 2 ** 20).toFixed(0)} MiB of file content; ${conf.storeLayers.length} store layers,`,
    `${(layerBytes / 2 ** 20).toFixed(0)} MiB of layer tar. Medians of ${repeat} runs; page cache warm.`,
    `The conf builder said, in a full build: "${fullHashed}"; in a rebuild: "${rebuildHashed}"`,
    '(the small path that changed, and the path referring to it, which changes with it).',
    'A build of the image also builds the changed paths (two trivial local derivations, preferLocalBuild like',
    'nixpkgs\' writeText), the derivation that writes the customisation layer and the conf (no extraCommands or',
    'fakeRootCommands here, so one `nix-strata conf` process does both) and the stream wrapper; "changed paths built first"',
    'leaves their building out of the timed rebuild; "conf only" times the customisation-layer-and-conf derivation alone,',
    'its inputs built first. Streams include node start-up (~0.1 s) and write to /dev/null.',
  ].join(' ');
  const report = `# nix-strata benchmark\n\n${new Date().toISOString()}\n\n${machine()}\n\n${description}\n\n${table}\n`;
  process.stdout.write(`${table}\n`);
  writeFileSync(join(repo, 'bench/results.md'), report);
  log('written to bench/results.md');
}

main().catch((error: unknown) => {
  process.stderr.write(`[bench] failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
