// `nix-strata customise`: merge-contents and tar-tree in one process, owner 0:0, for a
// customisation layer without extraCommands, fakeRootCommands or a Nix database.
import { Command } from 'commander';
import { customise } from '../../customisation/customise.ts';
import { stderrLogger } from '../../log.ts';

/** Factory for the `customise` subcommand. */
export function customiseCommand(): Command {
  return new Command('customise')
    .description('join contents elements into DIR (as merge-contents) and write OUT/layer.tar and OUT/checksum for it (as tar-tree, every entry owned by 0:0)')
    .requiredOption('--into <dir>', 'where the tree is built (created if missing)')
    .requiredOption('--out <dir>', 'where layer.tar and checksum are written')
    .argument('[path...]', 'contents elements, in list order')
    .action(async (paths: string[], opts: { into: string; out: string }) => {
      await customise({ into: opts.into, elements: paths, outDir: opts.out, log: stderrLogger() });
    });
}
