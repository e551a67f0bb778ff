// The customisation layer built inside the conf derivation (when there are no commands to run,
// no separate derivation is needed: one Node process per rebuild instead of two). Nix registers
// the output only after the build, so its closure-graph node — NAR size and references, which
// the layering strategies rank by — is computed here the way Nix will compute it.
import { mkdtemp, rm } from 'node:fs/promises';
import { statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ClosureNode } from '../closure/graph.ts';
import { narSizeOfFlatDirectory } from '../closure/nar-size.ts';
import { scanReferences } from './reference-scan.ts';
import { removeOnInterrupt } from '../cleanup.ts';
import type { Logger } from '../log.ts';
import { customise } from './customise.ts';

export interface CustomisationLayerOptions {
  /** The `contents` elements, in list order. */
  readonly contents: readonly string[];
  /** The output directory that receives `layer.tar` and `checksum`. */
  readonly outDir: string;
  /** Store paths the layer may reference (the closure Nix exported); others are never found. */
  readonly candidates: readonly string[];
  readonly log: Logger;
}

/** Writes the layer into `outDir` and returns the graph node Nix will register for it. */
export async function buildCustomisationLayer(options: CustomisationLayerOptions): Promise<ClosureNode> {
  // The symlink tree is scaffolding: only the archive of it is the output.
  // Its root is the layer's `./` entry: created by the merge (0755), not by mkdtemp (0700).
  const scratch = await mkdtemp(join(tmpdir(), 'nix-strata-customisation-'));
  const guard = removeOnInterrupt(scratch);
  try {
    await customise({ into: join(scratch, 'layer'), elements: options.contents, outDir: options.outDir, log: options.log });
  } finally {
    await rm(scratch, { recursive: true, force: true });
    guard.release();
  }
  const files = ['checksum', 'layer.tar'].map((name) => ({ name, size: statSync(join(options.outDir, name)).size }));
  return {
    path: options.outDir,
    narSize: narSizeOfFlatDirectory(files),
    references: scanReferences(files.map((file) => join(options.outDir, file.name)), options.candidates),
  };
}
