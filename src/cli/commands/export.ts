// `nix-strata export`: flatten an image archive into one root filesystem tar (exportImage).
import { Command } from 'commander';
import { stderrLogger } from '../../log.ts';
import { exportImageArchive } from '../../steps/export.ts';

/** Factory for the `export` subcommand. */
export function exportCommand(): Command {
  return new Command('export')
    .description('flatten a docker-archive (this project\'s or docker save\'s, compressed or not) into a root filesystem tar, applying whiteouts')
    .argument('<image>', 'docker-archive file')
    .requiredOption('--output <file>', 'where to write the root filesystem tar')
    .option('--quiet', 'no progress on stderr')
    .action(async (image: string, opts: { output: string; quiet?: boolean }) => {
      await exportImageArchive({ image, output: opts.output, log: stderrLogger({ quiet: opts.quiet === true }) });
    });
}
