// `nix-strata merge-contents`: join `contents` elements into a directory (api.md §5.3 step 2).
import { Command } from 'commander';
import { mergeContents } from '../../customisation/merge.ts';
import { stderrLogger } from '../../log.ts';

/** Factory for the `merge-contents` subcommand. */
export function mergeContentsCommand(): Command {
  return new Command('merge-contents')
    .description('join contents elements into DIR the way symlinkJoin/lndir does (first element wins; conflicts go to stderr)')
    .requiredOption('--into <dir>', 'destination directory (created if missing)')
    .argument('<path...>', 'contents elements, in list order')
    .action(async (paths: string[], opts: { into: string }) => {
      await mergeContents({ into: opts.into, elements: paths, log: stderrLogger() });
    });
}
