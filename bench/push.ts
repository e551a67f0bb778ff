// The push rows of `npm run bench` (issue 11 §9), beside skopeo in the same run: a cold push of
// the bench image to a local docker-registry against `skopeo copy docker-archive:` of the same
// image (its blob-info cache emptied), a cold-runner repush after one path was added to
// `contents` (an empty HOME: no nix-strata cache, no credentials; uploads counted in the
// registry's access log) against skopeo's, and the push's peak RSS.
import { execa } from 'execa';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { startLocalRegistry } from '../test/e2e/local-registry.ts';

/** What run.ts hands over: where to work, the image, and how to make the changed one. */
export interface PushBenchContext {
  readonly repo: string;
  readonly work: string;
  readonly repeat: number;
  /** The bench image's conf. */
  readonly confPath: string;
  /** The conf of the same image with one more small store path in `contents`. */
  changedConf(): string;
  log(message: string): void;
}

interface Timed { seconds: number; rssMb: number; stdout: string }

// Wall time, peak RSS (GNU time, the largest process of the tree) and stdout of a command. Not
// spawnSync: the registry's access log (what counts uploads) must be read while the push runs.
async function timed(work: string, command: string, args: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<Timed> {
  const rssFile = join(work, 'push-rss');
  const gnuTime = existsSync('/usr/bin/time');
  const [program, programArgs] = gnuTime ? ['/usr/bin/time', ['-f', '%M', '-o', rssFile, command, ...args]] : [command, [...args]];
  const started = performance.now();
  const result = await execa(program, programArgs, { env, extendEnv: false, reject: false, stdin: 'ignore' });
  const seconds = (performance.now() - started) / 1000;
  if (result.exitCode !== 0) throw new Error(`${command} ${args.join(' ')} failed (${result.exitCode}):\n${String(result.stderr).slice(-4000)}`);
  const kb = gnuTime ? Number(readFileSync(rssFile, 'utf8').trim().split('\n').pop()) : Number.NaN;
  return { seconds, rssMb: kb / 1024, stdout: String(result.stdout) };
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

// skopeo remembers compressed digests by diff_id; a cold row starts without that memory.
function emptySkopeoCache(): void {
  for (const dir of ['/var/lib/containers/cache', join(homedir(), '.local/share/containers/cache')]) {
    rmSync(join(dir, 'blob-info-cache-v1.sqlite'), { force: true });
    rmSync(join(dir, 'blob-info-cache-v1.boltdb'), { force: true });
  }
}

/** The push section of bench/results.md: a heading, what the rows include, and the table. */
export async function pushSection(context: PushBenchContext): Promise<string> {
  const rows = await pushRows(context);
  return [
    '## Push',
    '',
    'Into Debian\'s docker-registry on 127.0.0.1 (plain http), nix-strata push and `skopeo copy docker-archive:` of the',
    'same image in the same run, one new repository per run. Cold: nothing in the repository, every layer compressed',
    '(gzip) and uploaded; skopeo\'s blob-info cache emptied first. Repush: the image again with one small path added',
    'to `contents`, into the same tag, from an empty HOME (no nix-strata cache); nix-strata reads the tag\'s manifest and',
    'config and reuses the layers whose content key it lists (without reading them), skopeo compresses every layer to learn its digest, then skips',
    'the ones the registry has. Times include node start-up and reading the store; skopeo reads an uncompressed archive.',
    '',
    '| measurement | nix-strata | skopeo copy docker-archive: | ratio | target |',
    '|---|---|---|---|---|',
    ...rows,
    '',
  ].join('\n');
}

/** Replaces (or adds) the push section of a results file, keeping everything before it. */
export function withPushSection(results: string, section: string): string {
  const at = results.indexOf('\n## Push\n');
  return `${(at === -1 ? results : results.slice(0, at)).trimEnd()}\n\n${section}`;
}

/** Runs the push rows; returns the markdown table rows. */
async function pushRows(context: PushBenchContext): Promise<string[]> {
  const { work, log } = context;
  const cli = join(context.repo, 'bin/nix-strata.js');
  const registryDir = join(work, 'registry');
  mkdirSync(registryDir, { recursive: true });
  const registry = await startLocalRegistry(registryDir);
  let homes = 0;
  // A cold runner: a fresh empty HOME, no XDG directories.
  const coldEnv = (): NodeJS.ProcessEnv => {
    const home = join(work, `push-home-${homes++}`);
    mkdirSync(home);
    return { PATH: process.env.PATH, HOME: home, TMPDIR: work };
  };
  const push = (conf: string, destination: string): Promise<Timed> => timed(work, process.execPath, [cli, 'push', '-q', '--conf', conf, '--tls-verify=false', destination], coldEnv());
  const skopeo = (archive: string, destination: string): Promise<Timed> => {
    emptySkopeoCache();
    return timed(work, 'skopeo', ['copy', '-q', '--dest-tls-verify=false', `docker-archive:${archive}`, `docker://${destination}`]);
  };
  const archiveOf = async (conf: string, name: string): Promise<string> => {
    const path = join(work, name);
    await timed(work, process.execPath, [cli, 'stream', '-q', '--conf', conf, '--output', path]);
    return path;
  };
  try {
    const archive = await archiveOf(context.confPath, 'push-bench.tar');
    const changedConf = context.changedConf();
    const changedArchive = await archiveOf(changedConf, 'push-bench-changed.tar');
    const ours = { cold: [] as number[], repush: [] as number[], rss: 0, repushRss: 0, uploads: [] as number[], coldUploads: 0 };
    const theirs = { cold: [] as number[], repush: [] as number[] };
    for (let i = 1; i <= context.repeat; i++) {
      // A new repository per run: nothing in it yet, nothing to mount from.
      const cold = await push(context.confPath, `${registry.address}/strata-${i}:1`);
      ours.cold.push(cold.seconds);
      ours.rss = Math.max(ours.rss, cold.rssMb);
      log(`push, cold ${i}/${context.repeat}: ${cold.seconds.toFixed(2)} s, ${cold.rssMb.toFixed(0)} MB`);
      await new Promise((resolve) => setTimeout(resolve, 500));
      const before = registry.blobUploads(`strata-${i}`);
      ours.coldUploads = Math.max(ours.coldUploads, before);
      const repush = await push(changedConf, `${registry.address}/strata-${i}:1`);
      ours.repush.push(repush.seconds);
      ours.repushRss = Math.max(ours.repushRss, repush.rssMb);
      // The access log reaches this process asynchronously: let the last lines arrive.
      await new Promise((resolve) => setTimeout(resolve, 500));
      ours.uploads.push(registry.blobUploads(`strata-${i}`) - before);
      log(`push, cold-runner repush ${i}/${context.repeat}: ${repush.seconds.toFixed(2)} s, ${ours.uploads.at(-1)} blobs uploaded`);
      const skopeoCold = await skopeo(archive, `${registry.address}/skopeo-${i}:1`);
      theirs.cold.push(skopeoCold.seconds);
      log(`skopeo copy docker-archive:, cold ${i}/${context.repeat}: ${skopeoCold.seconds.toFixed(2)} s`);
      const skopeoRepush = await skopeo(changedArchive, `${registry.address}/skopeo-${i}:1`);
      theirs.repush.push(skopeoRepush.seconds);
      log(`skopeo copy docker-archive:, cold-runner repush ${i}/${context.repeat}: ${skopeoRepush.seconds.toFixed(2)} s`);
    }
    const versus = (a: number[], b: number[]) => `${median(a).toFixed(2)} s | ${median(b).toFixed(2)} s | ${(median(a) / median(b)).toFixed(2)}x`;
    return [
      `| push, cold, to a local docker-registry (every layer compressed; ${ours.coldUploads} blobs uploaded) | ${versus(ours.cold, theirs.cold)} | ≤ skopeo |`,
      `| push, cold-runner repush after one path added to contents (empty HOME; ${Math.max(...ours.uploads)} blobs uploaded, registry log) | ${versus(ours.repush, theirs.repush)} | ≤ 3 s, ≤ 3 blobs |`,
      `| peak RSS of push, cold / repush | ${ours.rss.toFixed(0)} / ${ours.repushRss.toFixed(0)} MB | | | ≤ 150 MB |`,
    ];
  } finally {
    await registry.stop();
  }
}
