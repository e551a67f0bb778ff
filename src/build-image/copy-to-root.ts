// buildImage's `copyToRoot`: each element's tree is COPIED into the layer root (not linked as
// the layered builders' contents are), the way nixpkgs runs `rsync -a --chown=0:0 ITEM/ ROOT/`
// with `-k` (a symlink to a directory in ITEM is copied as that directory) or, with
// keepContentsDirlinks, `-K` (a symlink to a directory already in ROOT is followed and filled).
// Modes are kept; owners are whoever runs this (root under fakeroot); hard links are not kept.
// A file or symlink never replaces a non-empty directory: rsync refuses ("cannot delete
// non-empty directory") and nixpkgs' build fails, so this fails too, naming both sides.
import { copyFile, chmod, lstat, mkdir, readdir, readlink, rm, stat, symlink } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { UserError } from '../errors.ts';
import { makeOutputDirectory } from '../sinks/output-dir.ts';

/** What to copy where. */
export interface CopyToRootOptions {
  /** The layer root (created if missing). */
  readonly into: string;
  /** Directories (usually store paths) whose contents are copied, in order; later ones win. */
  readonly items: readonly string[];
  /** nixpkgs' keepContentsDirlinks: follow existing symlinks to directories in `into`. */
  readonly keepDirlinks: boolean;
}

/** Copies every item's contents into `into`; directory modes are applied at the end so read-only ones can be filled. */
export async function copyToRoot(options: CopyToRootOptions): Promise<void> {
  // Not Node's recursive mkdir: it loops forever where mkdir says ENOENT (/proc).
  makeOutputDirectory(options.into);
  const dirModes = new Map<string, number>();
  // Which element made each directory (absent: it was already in `into`, e.g. the base image).
  const dirOwners = new Map<string, string>();
  for (const item of options.items) {
    const info = await stat(item).catch((error: unknown) => {
      throw new UserError('missing-contents', `copyToRoot element ${item} cannot be read (${(error as Error).message}); it must be a directory`, { cause: error });
    });
    if (!info.isDirectory()) throw new UserError('contents-not-directory', `copyToRoot element ${item} is not a directory; wrap files in a directory (e.g. with buildEnv or runCommand)`);
    // rsync `ITEM/ ROOT/` gives ROOT the item's mode; nixpkgs then adds ug+w.
    dirModes.set(options.into, (info.mode & 0o7777) | 0o220);
    await copyDir({ item, source: item, target: options.into, keepDirlinks: options.keepDirlinks, dirModes, dirOwners, root: options.into });
  }
  // Deepest first, so no directory loses its write bit before its children are set.
  for (const [dir, mode] of [...dirModes].sort((a, b) => b[0].length - a[0].length)) await chmod(dir, mode);
}

// One level of one element's copy, and the state shared by the whole copy.
interface CopyStep {
  readonly item: string;
  readonly source: string;
  readonly target: string;
  readonly keepDirlinks: boolean;
  readonly dirModes: Map<string, number>;
  readonly dirOwners: Map<string, string>;
  readonly root: string;
}

async function copyDir(step: CopyStep): Promise<void> {
  const { source, target, keepDirlinks, dirModes, dirOwners } = step;
  const names = (await readdir(source)).sort();
  for (const name of names) {
    const from = join(source, name);
    const to = join(target, name);
    const info = await lstat(from);
    // -k: a symlink to a directory is copied as the directory it points to.
    const followed = info.isSymbolicLink() && !keepDirlinks ? await stat(from).catch(() => undefined) : undefined;
    if (info.isDirectory() || followed?.isDirectory()) {
      const mode = ((followed ?? info).mode & 0o7777);
      const existing = await lstat(to).catch(() => undefined);
      let into = to;
      if (existing?.isDirectory()) {
        // merge
      } else if (existing?.isSymbolicLink() && keepDirlinks && (await stat(to).catch(() => undefined))?.isDirectory()) {
        // -K: fill the directory the existing symlink points to; its mode is left alone.
        into = to;
        await copyDir({ ...step, source: from, target: into });
        continue;
      } else {
        if (existing) await rm(to, { recursive: true, force: true });
        await mkdir(to, { mode: 0o700 });
      }
      await chmod(into, 0o700 | mode);
      dirModes.set(into, mode);
      if (!dirOwners.has(into)) dirOwners.set(into, step.item);
      await copyDir({ ...step, source: from, target: into });
    } else if (info.isSymbolicLink() || info.isFile()) {
      await refuseToReplaceDirectory(step, to, from);
      await rm(to, { recursive: true, force: true });
      if (info.isSymbolicLink()) {
        await symlink(await readlink(from), to);
      } else {
        await copyFile(from, to);
        await chmod(to, info.mode & 0o7777);
      }
      // An empty directory it replaced must not get its mode back at the end.
      dirModes.delete(to);
      dirOwners.delete(to);
    } else {
      throw new UserError('unsupported-file-type', `${from}: copyToRoot can copy only files, directories and symlinks`);
    }
  }
}

// rsync deletes an empty directory in the way of a file or symlink, and refuses a non-empty one.
async function refuseToReplaceDirectory(step: CopyStep, to: string, from: string): Promise<void> {
  const existing = await lstat(to).catch(() => undefined);
  if (!existing?.isDirectory() || (await readdir(to)).length === 0) return;
  const where = `/${relative(step.root, to)}`;
  const earlier = step.dirOwners.get(to);
  const owner = earlier === undefined ? 'the image below (fromImage)' : `copyToRoot element ${earlier}`;
  const what = (await lstat(from)).isSymbolicLink() ? 'a symlink' : 'a file';
  throw new UserError('copy-to-root-conflict', `copyToRoot element ${step.item} has ${what} at ${where}, where ${owner} has a non-empty directory; rsync (nixpkgs) refuses to delete it: rename or remove one of them`);
}
