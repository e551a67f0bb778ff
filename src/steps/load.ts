// `nix-strata load`: the body of copyToDockerDaemon and copyToPodman. Streams the image as a
// docker-archive into `docker load` / `podman load`, no tarball in the store or on disk.
import { spawn, type ChildProcess } from 'node:child_process';
import { UserError } from '../errors.ts';
import type { Logger } from '../log.ts';
import { writeDockerArchive } from '../sinks/docker-archive.ts';
import { checkImageSource, openImage, type ImageSource } from './image-source.ts';

/** The engines `load` can feed. */
export const ENGINES = ['docker', 'podman'] as const;
export type Engine = (typeof ENGINES)[number];

/** Options of loadImage. */
export interface LoadOptions extends ImageSource {
  readonly engine: Engine;
  readonly log: Logger;
}

/** Loads the image into the engine; its own output (`Loaded image: …`) goes to stdout. */
export async function loadImage(options: LoadOptions): Promise<void> {
  const { engine } = options;
  checkImageSource(options);
  const child = spawn(engine, ['load'], { stdio: ['pipe', 'inherit', 'pipe'] });
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (text: string) => { stderr = (stderr + text).slice(-4000); });
  const exited = exitOf(child, engine, () => stderr);
  exited.catch(() => undefined);
  await started(child, engine);
  const { image, reference, mtime, close } = await openImage(options).catch(async (error: unknown) => {
    child.kill();
    throw error;
  });
  try {
    await writeDockerArchive(image, child.stdin!, { repoTags: [reference], mtime, log: options.log });
  } catch (error) {
    // A failing engine closes its stdin: its own message says why, better than "the reader went away".
    const engineFailure = await exited.then(() => undefined, (failure: unknown) => failure);
    throw engineFailure ?? error;
  } finally {
    await close();
  }
  await exited;
}

// Resolves once the program runs; one line when it is not installed.
function started(child: ChildProcess, engine: Engine): Promise<void> {
  return new Promise((resolve, reject) => {
    child.once('spawn', () => resolve());
    child.once('error', (error: NodeJS.ErrnoException) => reject(error.code === 'ENOENT'
      ? new UserError('engine-missing', `${engine} is not installed (no ${engine} on PATH); install it, or use ${engine === 'docker' ? 'copyToPodman' : 'copyToDockerDaemon'} or the stream instead`, { cause: error })
      : new UserError('engine-failed', `cannot run ${engine} load: ${error.message}`, { cause: error })));
  });
}

function exitOf(child: ChildProcess, engine: Engine, stderr: () => string): Promise<void> {
  return new Promise((resolve, reject) => {
    child.once('close', (code, signal) => {
      if (code === 0) return resolve();
      const last = stderr().trim().split('\n').filter((line) => line !== '').pop() ?? '';
      const hint = `is the ${engine === 'docker' ? 'Docker daemon running' : 'podman setup working'}?`;
      reject(new UserError('engine-failed', `${engine} load failed (${signal ?? `exit ${code}`}): ${last === '' ? hint : last}`));
    });
  });
}
