// How many cores the builder may use, for its hashing thread and the compressors alike.
import { availableParallelism } from 'node:os';

/** NIX_BUILD_CORES inside a Nix build (0 or unset means all available), else all cores. */
export function buildCores(env: NodeJS.ProcessEnv = process.env): number {
  const fromNix = Number(env.NIX_BUILD_CORES);
  return Number.isSafeInteger(fromNix) && fromNix > 0 ? fromNix : availableParallelism();
}
