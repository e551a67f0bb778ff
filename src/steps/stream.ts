// `nix-strata stream`: reads a conf and writes the image in the chosen format (a docker-archive
// by default; sinks/formats.ts), to stdout or a (compressed) file. One code path for
// streamLayeredImage's executable and for buildLayeredImage's archive derivation.
import { readConf, type Conf } from '../conf/conf.ts';
import { UserError } from '../errors.ts';
import { assembleImage } from '../image/assemble.ts';
import { currentInstant, resolveCreated, resolveMtime } from '../image/date.ts';
import type { Image } from '../image/types.ts';
import type { JsonValue } from '../json/lossless.ts';
import type { Logger } from '../log.ts';
import { SINKS, type SinkFormat } from '../sinks/formats.ts';
import { writeOutput, type Compressor } from '../sinks/output.ts';
import { readDockerArchive } from '../sources/docker-archive.ts';
import { storePathsLayer } from '../sources/store-paths.ts';
import { tarballLayer } from '../sources/tarball-layer.ts';
import { openPipeOutput, stdoutIsPipe } from '../hashing/pipe-output.ts';
import { VerifyHasher } from '../hashing/verify-hasher.ts';
import { buildCores } from '../build-cores.ts';
import { PlanThread } from '../hashing/plan-thread.ts';

export interface StreamOptions {
  confPath: string;
  /** Replaces the conf's `name:tag` (nixpkgs' `--repo_tag`). */
  repoTag?: string;
  /** The sink; default docker-archive. */
  format?: SinkFormat;
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
  const toPipe = options.output === undefined && options.compressor === 'none' && stdoutIsPipe();
  const { image, mtime, hasher, close } = await imageFromConf(conf, toPipe);
  const sink = SINKS[options.format ?? 'docker-archive'];
  const repoTags = [options.repoTag ?? conf.repoTag];
  try {
    await writeOutput({ path: options.output, compressor: options.compressor, ...(toPipe ? { open: () => openPipeOutput(hasher) } : {}) },
      (stream) => sink(image, { output: stream, repoTags, mtime, log: options.log }));
  } finally {
    // Stops the hashing thread.
    await close();
  }
}

/** The Image a conf describes; "now" in `created`/`mtime` resolves to one instant here. */
export async function imageFromConf(conf: Conf, piped = false): Promise<{ image: Image; mtime: number; hasher: VerifyHasher | undefined; close: () => Promise<void> }> {
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
    ...(conf.variant === undefined ? {} : { variant: conf.variant }),
    config: conf.config as JsonValue,
    created: resolveCreated(conf.created, now),
  });
  // close() also removes the base's uncompressed copy, if streaming made one (a process 'exit' hook is the safety net).
  return { image, mtime, hasher: verifier, close: async () => { await Promise.all([verifier?.close(), planner?.close(), baseImage?.dispose()]); } };
}
