// `nix-strata stream`: reads a conf and writes the docker-archive, to stdout or a
// (compressed) file. One code path for streamLayeredImage's executable and for
// buildLayeredImage's archive derivation.
import { readConf, type Conf } from '../conf/conf.ts';
import { outputError, UserError } from '../errors.ts';
import { assembleImage } from '../image/assemble.ts';
import { currentInstant, resolveCreated, resolveMtime } from '../image/date.ts';
import type { Image } from '../image/types.ts';
import type { JsonValue } from '../json/lossless.ts';
import type { Logger } from '../log.ts';
import { writeDockerArchive } from '../sinks/docker-archive.ts';
import { openOutput, type Compressor } from '../sinks/output.ts';
import { readDockerArchive } from '../sources/docker-archive.ts';
import { storePathsLayer } from '../sources/store-paths.ts';
import { tarballLayer } from '../sources/tarball-layer.ts';
import { openPipeOutput, stdoutIsPipe } from '../hashing/pipe-output.ts';
import { VerifyHasher } from '../hashing/verify-hasher.ts';
import { buildCores } from '../hashing/build-cores.ts';
import { PlanThread } from '../hashing/plan-thread.ts';

export interface StreamOptions {
  confPath: string;
  /** Replaces the conf's `name:tag` (nixpkgs' `--repo_tag`). */
  repoTag?: string;
  /** A file to write; stdout when absent. */
  output?: string;
  compressor: Compressor;
  log: Logger;
}

/** Writes the image a conf describes. A file output appears only when complete. */
export async function streamImage(options: StreamOptions): Promise<void> {
  const conf = await readConf(options.confPath);
  if (options.output === undefined && options.compressor === 'none' && process.stdout.isTTY) {
    throw new UserError('stdout-is-terminal', 'refusing to write an image archive to a terminal; pipe it (| docker load) or pass --output FILE');
  }
  // An uncompressed stream to a pipe (`| docker load`) is written by a thread of its own.
  const piped = options.output === undefined && options.compressor === 'none' && stdoutIsPipe();
  const { image, mtime, hasher, close } = await imageFromConf(conf, options.repoTag, piped);
  try {
    const output = piped
      ? openPipeOutput(hasher)
      : openOutput({ compressor: options.compressor, ...(options.output === undefined ? {} : { path: options.output }) });
    try {
      await writeDockerArchive(image, output.stream, { mtime, log: options.log });
      await output.finish();
    } catch (error) {
      await output.abort();
      // The archive writer only knows "the archive"; name the file the user asked for.
      if (options.output !== undefined && error instanceof UserError && error.code === 'disk-full') {
        throw outputError(error.cause, options.output);
      }
      throw error;
    }
  } finally {
    // Stops the hashing thread.
    await close();
  }
}

/** The Image a conf describes; "now" in `created`/`mtime` resolves to one instant here. */
export async function imageFromConf(conf: Conf, repoTag?: string, piped = false): Promise<{ image: Image; mtime: number; hasher: VerifyHasher | undefined; close: () => Promise<void> }> {
  const now = currentInstant();
  const mtime = resolveMtime(conf.mtime, now);
  const baseImage = conf.fromImage === null ? undefined : await readDockerArchive(conf.fromImage);
  // Each store layer is sized from lstat and hashed as it streams (the config, which needs the
  // digests, is written last). With two cores or more, the hashing runs on its own thread.
  // Piped, so is the sizing walk (plan-thread.ts: the next layers' while one streams), which
  // keeps the pipe busy between layers; its thread's memory is not worth it for a file.
  const verifier = buildCores() > 1 ? new VerifyHasher() : undefined;
  const planner = verifier !== undefined && piped ? new PlanThread() : undefined;
  const threads = { ...(verifier === undefined ? {} : { verifier }), ...(planner === undefined ? {} : { planner: planner.plan.bind(planner) }) };
  const storeLayers = conf.storeLayers.map((layer) => storePathsLayer(layer.paths, { ...conf.owner, mtime, ...threads }));

  const image = assembleImage({
    baseImage,
    storeLayers,
    customisationLayer: await tarballLayer(conf.customisationLayer),
    architecture: conf.architecture,
    config: conf.config as JsonValue,
    created: resolveCreated(conf.created, now),
    repoTag: repoTag ?? conf.repoTag,
  });
  // close() also removes the base's uncompressed copy, if streaming made one (a process 'exit' hook is the safety net).
  return { image, mtime, hasher: verifier, close: async () => { await Promise.all([verifier?.close(), planner?.close(), baseImage?.dispose()]); } };
}
