// Joins the `contents` elements into one directory tree (api.md §5.3 step 2): the symlink forest
// nixpkgs builds with lndir, as the customisation layer's starting point.
//
// Deliberate differences from lndir (they only ever add names or messages, never change a link):
// - every name is mirrored: lndir silently skips `*~`, `.#*`, `.DS_Store`, `._.DS_Store`,
//   `.cvsignore`, `.gitignore` and directories named BitKeeper, RCS, SCCS, CVS, CVS.adm, .svn;
//   an image should contain what its inputs contain;
// - a conflict (two elements providing the same path with different targets, or a directory
//   where an earlier element put a file) is reported as one line on the logger; the first
//   element still wins, as with lndir, so the tree is the same;
// - a symlink to a directory inside an element is always reproduced as a symlink (lndir
//   sometimes descends into it, depending on link counts).
// Synchronous fs calls: the walk is sequential anyway, and each awaited call would be a round
// trip through libuv's thread pool (several ms of a small layer's build, paid by every rebuild).
import { chmodSync, lstatSync, mkdirSync, readdirSync, readlinkSync, statSync, symlinkSync, type Stats } from 'node:fs';
import { resolve } from 'node:path';
import { UserError } from '../errors.ts';
import type { Logger } from '../log.ts';
import { makeOutputDirectory } from '../sinks/output-dir.ts';

/** What to merge where. */
export interface MergeContentsOptions {
  /** Destination directory; created (0755) if missing. */
  readonly into: string;
  /** The `contents` elements, in list order: for each path, the first element providing it wins. */
  readonly elements: readonly string[];
  /** Receives one line per conflict. */
  readonly log: Logger;
}

/** What a merge did: how many conflicts it reported. */
export interface MergeContentsResult {
  readonly conflicts: number;
}

const SLASH = Buffer.from('/');

interface MergeState {
  readonly log: Logger;
  /** Which element created each entry (relative path as latin1 bytes), for conflict messages. */
  readonly origin: Map<string, string>;
  conflicts: number;
}

/** Mirrors each element into `into`: directories become real 0755 directories, everything else a symlink. */
export async function mergeContents(options: MergeContentsOptions): Promise<MergeContentsResult> {
  const elements = options.elements.map((element) => resolve(element));
  for (const element of elements) requireDirectory(element);
  try {
    // Not Node's recursive mkdir: it loops forever where mkdir says ENOENT (/proc).
    makeOutputDirectory(options.into, 0o755);
  } catch (error) {
    const cause = error instanceof UserError && error.cause !== undefined ? error.cause : error;
    const code = cause instanceof Error && 'code' in cause ? String(cause.code) : error instanceof UserError ? error.message : String(cause);
    throw new UserError('bad-destination', `--into ${options.into} cannot be created (${code}); pass a directory path`, { cause: error });
  }
  const state: MergeState = { log: options.log, origin: new Map(), conflicts: 0 };
  for (const element of elements) {
    mergeDirectory(Buffer.from(element), Buffer.from(options.into), '', element, state);
  }
  return { conflicts: state.conflicts };
}

function mergeDirectory(source: Buffer, destination: Buffer, relative: string, element: string, state: MergeState): void {
  const names = readdirSync(source, { encoding: 'buffer' });
  names.sort(Buffer.compare);
  for (const name of names) {
    const from = Buffer.concat([source, SLASH, name]);
    const to = Buffer.concat([destination, SLASH, name]);
    const path = relative === '' ? name.toString('latin1') : `${relative}/${name.toString('latin1')}`;
    const entry = lstatSync(from);
    const existing = lstatIfExists(to);
    if (entry.isDirectory()) {
      if (!existing) {
        mkdirSync(to);
        // mkdir's mode is filtered by the umask; the layer must say 0755 whatever the umask is.
        chmodSync(to, 0o755);
        state.origin.set(path, element);
      } else if (!existing.isDirectory()) {
        conflict(state, path, element, `is a directory there, but ${describeExisting(state, path, existing)} is kept; that subtree of ${element} is skipped`);
        continue;
      }
      mergeDirectory(from, to, path, element, state);
      continue;
    }
    // A symlink keeps its target text (relative links stay relative); anything else becomes an
    // absolute link to the file in the element.
    const target = entry.isSymbolicLink() ? readlinkSync(from, { encoding: 'buffer' }) : from;
    if (!existing) {
      symlinkSync(target, to);
      state.origin.set(path, element);
      continue;
    }
    if (existing.isSymbolicLink() && readlinkSync(to, { encoding: 'buffer' }).equals(target)) continue;
    conflict(state, path, element, `-> ${target.toString('utf8')} is ignored, ${describeExisting(state, path, existing)} is kept`);
  }
}

function conflict(state: MergeState, path: string, element: string, what: string): void {
  state.conflicts += 1;
  state.log.info(`merge-contents: conflict at /${Buffer.from(path, 'latin1').toString('utf8')}: ${element} ${what}`);
}

function describeExisting(state: MergeState, path: string, existing: Stats): string {
  const kind = existing.isDirectory() ? 'the directory' : existing.isSymbolicLink() ? 'the link' : 'the file';
  const from = state.origin.get(path);
  return from ? `${kind} from ${from}` : `${kind} already in the destination`;
}

function requireDirectory(element: string): void {
  let info: Stats;
  try {
    info = statSync(element);
  } catch (error) {
    const cause = error instanceof UserError && error.cause !== undefined ? error.cause : error;
    const code = cause instanceof Error && 'code' in cause ? String(cause.code) : error instanceof UserError ? error.message : String(cause);
    throw new UserError('bad-contents', `contents element ${element} cannot be read (${code}); check the contents list`, { cause: error });
  }
  if (!info.isDirectory()) {
    throw new UserError('bad-contents', `contents element ${element} is not a directory; contents must be directories (derivation outputs or buildEnv trees)`);
  }
}

function lstatIfExists(path: Buffer): Stats | undefined {
  try {
    return lstatSync(path);
  } catch (error) {
    if (error instanceof Error && 'code' in error && error.code === 'ENOENT') return undefined;
    throw error;
  }
}
