// `nix-strata merge-images`: several docker-archives in one (mergeImages).
import { Command } from 'commander';
import { stderrLogger } from '../../log.ts';
import { mergeImages } from '../../steps/merge-images.ts';

/** Factory for the `merge-images` subcommand. */
export function mergeImagesCommand(): Command {
  return new Command('merge-images')
    .description('merge docker-archives (plain, gzip or zstd) into one that docker load loads every image of; compressed as the last input is')
    .argument('<image...>', 'docker-archive files')
    .requiredOption('--output <file>', 'where to write the merged archive')
    .option('--quiet', 'no progress on stderr')
    .action(async (images: string[], opts: { output: string; quiet?: boolean }) => {
      await mergeImages({ inputs: images, output: opts.output, log: stderrLogger({ quiet: opts.quiet === true }) });
    });
}
