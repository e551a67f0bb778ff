// The metadata of a directory tree as `find` sees it. Under fakeroot only processes that go
// through libc see the faked owners and modes (fakeroot works by LD_PRELOAD); Node's own
// lstat calls the kernel directly (statx) and would see the real ones, so ownership and modes
// of the customisation tree must come from a child process.
// node:child_process rather than execa: loading execa costs ~60 ms of Node start-up, paid by
// every customisation-layer build, i.e. by every incremental rebuild.
import { execFile } from 'node:child_process';
import { lstatSync, readdirSync } from 'node:fs';
import { UserError } from '../errors.ts';

/** One entry of a tree listing. `path` is relative to the root, as raw bytes in a latin1 string. */
export interface TreeListingEntry {
  /** Relative path ('' for the root); a latin1 string so that every byte maps to one character. */
  readonly path: string;
  /** find's %y letter: f, d, l, p, s, c, b (D and others are rejected by the writer). */
  readonly kind: string;
  /** Permission bits including setuid, setgid and sticky. */
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
  readonly size: number;
}

/** Lists `root` with `find`, leaving out `exclude` (relative paths) with their subtrees. */
export async function listTree(root: string, exclude: readonly string[] = []): Promise<TreeListingEntry[]> {
  return parseListing(await findRecords(root, exclude, '%y %m %U %G %s %P\\0'));
}

/**
 * `find ROOT -printf FORMAT` over `root` without `exclude` (relative paths) and their subtrees:
 * find, not Node, because under fakeroot only find sees the faked owners and modes.
 */
export async function findRecords(root: string, exclude: readonly string[], format: string): Promise<Buffer> {
  const base = root.replace(/\/+$/, '');
  const prune = normaliseExcludes(exclude)
    .flatMap((relative, index) => [...(index === 0 ? [] : ['-o']), '-path', escapeGlob(`${base}/${relative}`)]);
  const expression = prune.length === 0 ? [] : ['(', ...prune, ')', '-prune', '-o'];
  try {
    return await runForOutput('find', [root, ...expression, '-printf', format]);
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    throw new UserError('tree-unreadable', `cannot list ${root} with find: ${detail.split('\n')[0]}; check that the directory exists and is readable`, { cause: error });
  }
}

/** Runs `command` and returns its stdout; rejects with the command, its exit status and stderr's first line on failure. */
export function runForOutput(command: string, args: readonly string[]): Promise<Buffer> {
  return new Promise((resolvePromise, reject) => {
    execFile(command, args, { encoding: 'buffer', maxBuffer: 1024 ** 3 }, (error, stdout, stderr) => {
      if (error) {
        const status = typeof error.code === 'number' ? `exit code ${error.code}` : error.signal ? `signal ${error.signal}` : String(error.code ?? error.message);
        const why = stderr.toString('utf8').trim().split('\n')[0];
        reject(new Error(`${command} failed (${status})${why ? `: ${why}` : ''}`, { cause: error }));
        return;
      }
      resolvePromise(stdout);
    });
  });
}

/**
 * The same listing as `listTree`, read with Node's own lstat: right only outside fakeroot (or
 * when owners are forced anyway), where it saves starting `find` (~15 ms of every rebuild).
 * Device numbers come along (`devices`), so `deviceNumbers` need not start `stat` either.
 */
export async function listTreeDirectly(
  root: string,
  exclude: readonly string[] = [],
): Promise<{ listing: TreeListingEntry[]; devices: Map<string, { major: number; minor: number }> }> {
  const base = Buffer.from(root.replace(/\/+$/, '') || '/', 'utf8');
  const excluded = new Set(normaliseExcludes(exclude).map((relative) => Buffer.from(relative, 'utf8').toString('latin1')));
  const listing: TreeListingEntry[] = [];
  const devices = new Map<string, { major: number; minor: number }>();
  // Synchronous: a sequential walk gains nothing from libuv's thread pool but round trips.
  const visit = (disk: Buffer, path: string): void => {
    const stats = lstatSync(disk, { bigint: true });
    const kind = kindOf(stats);
    listing.push({ path, kind, mode: Number(stats.mode & 0o7777n), uid: Number(stats.uid), gid: Number(stats.gid), size: Number(stats.size) });
    if (kind === 'c' || kind === 'b') devices.set(path, { major: majorOf(stats.rdev), minor: minorOf(stats.rdev) });
    if (kind !== 'd') return;
    for (const name of readdirSync(disk, { encoding: 'buffer' })) {
      const child = path === '' ? name.toString('latin1') : `${path}/${name.toString('latin1')}`;
      if (!excluded.has(child)) visit(Buffer.concat([disk, SLASH, name]), child);
    }
  };
  try {
    visit(base, '');
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    throw new UserError('tree-unreadable', `cannot list ${root}: ${detail}; check that the directory exists and is readable`, { cause: error });
  }
  return { listing, devices };
}

const SLASH = Buffer.from('/');

/** find's %y letter for a file's type ('U' for unknown). */
export function kindOf(stats: { isFile(): boolean; isDirectory(): boolean; isSymbolicLink(): boolean; isFIFO(): boolean; isSocket(): boolean; isCharacterDevice(): boolean; isBlockDevice(): boolean }): string {
  if (stats.isFile()) return 'f';
  if (stats.isDirectory()) return 'd';
  if (stats.isSymbolicLink()) return 'l';
  if (stats.isFIFO()) return 'p';
  if (stats.isSocket()) return 's';
  if (stats.isCharacterDevice()) return 'c';
  if (stats.isBlockDevice()) return 'b';
  return 'U';
}

// glibc's gnu_dev_major / gnu_dev_minor.
function majorOf(rdev: bigint): number {
  return Number(((rdev >> 8n) & 0xfffn) | ((rdev >> 32n) & ~0xfffn));
}
function minorOf(rdev: bigint): number {
  return Number((rdev & 0xffn) | ((rdev >> 12n) & ~0xffn));
}

// Excluded relative paths without leading ./ or slashes and trailing slashes; empty ones dropped.
function normaliseExcludes(exclude: readonly string[]): string[] {
  return exclude.map((relative) => relative.replace(/^(\.\/)+/, '').replace(/^\/+|\/+$/g, '')).filter((relative) => relative !== '');
}

/** Parses NUL-terminated `%y %m %U %G %s %P` records. */
export function parseListing(output: Buffer): TreeListingEntry[] {
  const entries: TreeListingEntry[] = [];
  let start = 0;
  while (start < output.length) {
    const end = output.indexOf(0, start);
    if (end < 0) throw new Error('find output ends without a NUL terminator');
    const record = output.toString('latin1', start, end);
    start = end + 1;
    const match = /^(\S) ([0-7]+) (\d+) (\d+) (\d+) /.exec(record);
    if (!match) throw new Error(`unexpected find record ${JSON.stringify(record)}`);
    entries.push({
      kind: match[1]!,
      mode: parseInt(match[2]!, 8),
      uid: Number(match[3]),
      gid: Number(match[4]),
      size: Number(match[5]),
      path: record.slice(match[0].length),
    });
  }
  return entries;
}

// find's -path takes a glob: escape its metacharacters so names are matched literally.
function escapeGlob(path: string): string {
  return path.replace(/[\\*?[\]]/g, (character) => `\\${character}`);
}
