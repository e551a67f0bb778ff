// A directory output (an OCI layout) that appears only when complete: it is built under a
// temporary name and renamed onto its path, as output-target.ts does for files. A new path or an
// empty directory may be the destination; anything else is refused before any work.
import { mkdirSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { removeOnInterrupt } from '../cleanup.ts';
import { outputError, UserError } from '../errors.ts';
import { stagingDirectory } from './output-target.ts';

/** A directory being written at `path`, then `finish` (rename into place) or `abort` (remove). */
export interface StagedDirectory {
  readonly path: string;
  finish(): void;
  abort(): void;
}

/** Starts the directory output `final` (as the user named it, for messages). */
export function stageDirectory(final: string): StagedDirectory {
  const target = resolve(final);
  checkDestination(target, final);
  const guardPath = join(dirname(target), `.${basename(target)}.partial-${process.pid}`);
  // Registered before it exists: a signal right after mkdir must find it.
  let guard = removeOnInterrupt(guardPath);
  let path: string;
  try {
    const inBuild = stagingDirectory(target);
    if (inBuild !== undefined) {
      guard.release();
      guard = removeOnInterrupt(inBuild);
      path = inBuild;
    } else {
      rmSync(guardPath, { recursive: true, force: true });
      mkdirSync(guardPath, { mode: 0o755 });
      path = guardPath;
    }
  } catch (error) {
    guard.release();
    throw outputError(error, final);
  }
  return {
    path,
    finish() {
      try {
        renameSync(path, target);
      } catch (error) {
        rmSync(path, { recursive: true, force: true });
        throw outputError(error, final);
      } finally {
        guard.release();
      }
    },
    abort() {
      rmSync(path, { recursive: true, force: true });
      guard.release();
    },
  };
}

function checkDestination(target: string, final: string): void {
  let stats;
  try {
    stats = statSync(target);
  } catch (error) {
    if ((error as { code?: unknown }).code === 'ENOENT') return;
    throw outputError(error, final);
  }
  if (!stats.isDirectory()) throw new UserError('output-exists', `${final} exists and is not a directory; remove it or give a new path`);
  if (readdirSync(target).length > 0) throw new UserError('output-exists', `${final} is a directory that is not empty; remove it or give a new path`);
}
