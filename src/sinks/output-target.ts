// Where an output file is really written. A regular file or a new path is written under a
// hidden temporary name and renamed when complete, so no partial file ever carries the final
// name. Anything else the user names (a device such as /dev/null, a FIFO, /dev/stdout) is
// written in place: renaming over it would replace the device or the link with a plain file.
// A symlink is followed, so the file it names gets the content. Light to load: `conf` uses it.
import { linkSync, lstatSync, mkdirSync, readlinkSync, realpathSync, renameSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { removeOnInterrupt } from '../cleanup.ts';
import { outputError, UserError } from '../errors.ts';

/** How one output is written: in place, or aside and renamed onto `final`. */
export type OutputTarget =
  | { readonly kind: 'in-place'; readonly path: string; readonly fifo: boolean }
  | { readonly kind: 'replace'; readonly final: string; readonly temporary: string };

/**
 * Decides how to write `path` (as the user gave it, for messages). Refuses a directory, or a
 * path that cannot be looked up, with one line.
 */
export function outputTarget(path: string): OutputTarget {
  let stats;
  try {
    stats = statSync(path);
  } catch (error) {
    if ((error as { code?: unknown }).code !== 'ENOENT') throw outputError(error, path);
    // A new path, or a symlink to one: the file is created where the links end.
    const final = endOfLinks(path);
    return { kind: 'replace', final, temporary: temporaryFor(final) };
  }
  if (stats.isDirectory()) throw new UserError('output-is-directory', `${path} is a directory; give a file path`);
  if (!stats.isFile()) return { kind: 'in-place', path, fifo: stats.isFIFO() };
  const final = realpathSync(path);
  return { kind: 'replace', final, temporary: temporaryFor(final) };
}

/** Writes `data` to `path` as outputTarget says: never a truncated file under the final name. */
export function writeOutputFile(path: string, data: string | Buffer): void {
  const target = outputTarget(path);
  if (target.kind === 'in-place') {
    try {
      writeFileSync(target.path, data);
    } catch (error) {
      throw outputError(error, path);
    }
    return;
  }
  const guard = removeOnInterrupt(target.temporary);
  try {
    writeFileSync(target.temporary, data, { mode: 0o644 });
    renameSync(target.temporary, target.final);
  } catch (error) {
    rmSync(target.temporary, { force: true });
    throw outputError(error, path);
  } finally {
    guard.release();
  }
}

// Follows a chain of symlinks whose last link names nothing yet (`cat > link` creates it).
function endOfLinks(path: string): string {
  let current = resolve(path);
  for (let hops = 0; hops < 40; hops++) {
    let link: string;
    try {
      if (!lstatSync(current).isSymbolicLink()) return current;
      link = readlinkSync(current);
    } catch {
      return current;
    }
    current = resolve(realDirname(current), link);
  }
  return current;
}

function realDirname(path: string): string {
  try {
    return realpathSync(dirname(path));
  } catch {
    return dirname(path);
  }
}

/**
 * The temporary name for `final`: beside it, except for a Nix builder's output directly in the
 * store (see inBuildDirectory).
 */
function temporaryFor(final: string): string {
  return inBuildDirectory(final) ?? join(dirname(final), `.${basename(final)}.partial-${process.pid}`);
}

/**
 * A new directory in the Nix build directory to build the directory output `dir` in and rename
 * onto it when complete (see inBuildDirectory); undefined outside a Nix build.
 */
export function stagingDirectory(dir: string): string | undefined {
  const final = resolve(dir);
  const staged = inBuildDirectory(final);
  if (staged === undefined) return undefined;
  rmSync(staged, { force: true });
  mkdirSync(staged, { mode: 0o755 });
  return staged;
}

/**
 * Nix kills a build with SIGKILL (Ctrl-C, timeout, max-silent-time), which runs no cleanup: a
 * temporary file beside `$out` would stay in the store directory. In the build directory, Nix
 * removes it with the directory. That needs a rename from there onto the output to work (the
 * same mount), which a probe link tells; in a sandbox it does not, but there the store directory
 * the builder sees is the sandbox's own, and Nix deletes it with the sandbox. Gives the path of
 * an (empty) file in the build directory, or undefined.
 */
function inBuildDirectory(final: string): string | undefined {
  const buildTop = process.env.NIX_BUILD_TOP;
  const storeDir = process.env.NIX_STORE;
  if (buildTop === undefined || buildTop === '' || storeDir === undefined || dirname(final) !== resolve(storeDir)) return undefined;
  const inBuildDir = join(buildTop, `.${basename(final)}.partial-${process.pid}`);
  try {
    writeFileSync(inBuildDir, '');
    // A link is what a rename needs (the same mount); `final` is Nix's to own, and new.
    linkSync(inBuildDir, final);
    unlinkSync(final);
    return inBuildDir;
  } catch {
    rmSync(inBuildDir, { force: true });
    return undefined;
  }
}
