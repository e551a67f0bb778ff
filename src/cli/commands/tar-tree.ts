// `nix-strata tar-tree`: write the customisation layer's layer.tar and checksum (format.md §5).
import { Command } from 'commander';
import { writeTreeTar } from '../../customisation/tar-tree.ts';
import { stderrLogger } from '../../log.ts';

const collect = (value: string, previous: string[]): string[] => [...previous, value];

/** Factory for the `tar-tree` subcommand. */
export function tarTreeCommand(): Command {
  return new Command('tar-tree')
    .description('write DIR/layer.tar (GNU tar dialect) and DIR/checksum for a tree; owners and modes are read through find, so fakeroot\'s view is kept')
    .requiredOption('--root <dir>', 'the tree to archive (becomes ./)')
    .requiredOption('--out <dir>', 'where layer.tar and checksum are written')
    .option('--exclude <rel>', 'relative path left out with its subtree (repeatable)', collect, [] as string[])
    .action(async (opts: { root: string; out: string; exclude: string[] }) => {
      await writeTreeTar({ root: opts.root, outDir: opts.out, exclude: opts.exclude, log: stderrLogger() });
    });
}
