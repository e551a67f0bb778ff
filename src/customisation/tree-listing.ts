// The metadata of a directory tree as `find` sees it. Under fakeroot only processes that go
// through libc see the faked owners and modes (fakeroot works by LD_PRELOAD); Node's own
// lstat calls the kernel directly (statx) and would see the real ones, so ownership and modes
// of the customisation tree must come from a child process.
import { execa } from 'execa';
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
  const base = root.replace(/\/+$/, '');
  const prune = exclude
    .map((relative) => relative.replace(/^(\.\/)+/, '').replace(/^\/+|\/+$/g, ''))
    .filter((relative) => relative !== '')
    .flatMap((relative, index) => [...(index === 0 ? [] : ['-o']), '-path', escapeGlob(`${base}/${relative}`)]);
  const expression = prune.length === 0 ? [] : ['(', ...prune, ')', '-prune', '-o'];
  let stdout: Uint8Array;
  try {
    ({ stdout } = await execa('find', [root, ...expression, '-printf', '%y %m %U %G %s %P\\0'], {
      encoding: 'buffer',
      maxBuffer: 1024 ** 3,
    }));
  } catch (error) {
    const detail = error instanceof Error ? (error as Error & { shortMessage?: string }).shortMessage ?? error.message : String(error);
    throw new UserError('tree-unreadable', `cannot list ${root} with find: ${detail.split('\n')[0]}; check that the directory exists and is readable`, { cause: error });
  }
  return parseListing(Buffer.from(stdout.buffer, stdout.byteOffset, stdout.byteLength));
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
