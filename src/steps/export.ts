// `nix-strata export` (exportImage): flattens the image in a docker-archive file into a root
// filesystem tar file.
import type { Logger } from '../log.ts';
import { writeOutput } from '../sinks/output.ts';
import { exportRootfs } from '../sinks/rootfs-tar.ts';
import { readDockerArchive } from '../sources/docker-archive.ts';

/** `nix-strata export`: flattens the image in a docker-archive file into a rootfs tar file. */
export async function exportImageArchive(options: { readonly image: string; readonly output: string; readonly log?: Logger }): Promise<void> {
  const image = await readDockerArchive(options.image);
  await writeOutput({ path: options.output, compressor: 'none' }, (stream) => exportRootfs(image.layers, stream, options.log ? { log: options.log } : {}));
}
