// `nix-strata export` (exportImage): flattens the image in a docker-archive file into a root
// filesystem tar file.
import { outputError } from '../errors.ts';
import type { Logger } from '../log.ts';
import { openOutput } from '../sinks/output.ts';
import { exportRootfs } from '../sinks/rootfs-tar.ts';
import { readDockerArchive } from '../sources/docker-archive.ts';

/** `nix-strata export`: flattens the image in a docker-archive file into a rootfs tar file. */
export async function exportImageArchive(options: { readonly image: string; readonly output: string; readonly log?: Logger }): Promise<void> {
  const image = await readDockerArchive(options.image);
  const output = openOutput({ path: options.output, compressor: 'none' });
  try {
    await exportRootfs(image.layers, output.stream, options.log ? { log: options.log } : {});
    await output.finish();
  } catch (error) {
    await output.abort();
    // A system error here is the output's (disk full, I/O error): name the file asked for.
    throw outputError(error, options.output);
  }
}
