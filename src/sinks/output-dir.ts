// An output directory (tar-tree's and build-image layer's --out, merge-contents' --into), created as `mkdir -p` does
// but with one-line errors. Node's own recursive mkdir retries forever where mkdir says ENOENT
// under an existing directory (/proc, /sys), and reports a file in the way with a stack.
import { mkdirSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { outputError, UserError } from '../errors.ts';

/** Creates `dir` and missing parents (with `mode`, less the umask); returns the topmost directory it created, if any. */
export function makeOutputDirectory(dir: string, mode = 0o777): string | undefined {
  try {
    return make(resolve(dir), mode);
  } catch (error) {
    if (error instanceof UserError) throw error;
    throw outputError(error, dir);
  }
}

function make(dir: string, mode: number): string | undefined {
  try {
    mkdirSync(dir, { mode });
    return dir;
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (code === 'EEXIST') {
      if (statSync(dir).isDirectory()) return undefined;
      throw new UserError('output-not-directory', `${dir} exists and is not a directory; give a directory path`);
    }
    const parent = dirname(dir);
    if (code !== 'ENOENT' || parent === dir) throw error;
    // The parent is missing: make it, then try once more (ENOENT again means mkdir is refused there).
    const created = make(parent, mode);
    mkdirSync(dir, { mode });
    return created;
  }
}
