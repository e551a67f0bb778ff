// `nix-strata tar-tree`: write the customisation layer's layer.tar and checksum (format.md §5).
import { Command, InvalidArgumentError } from 'commander';
import { writeTreeTar } from '../../customisation/tar-tree.ts';
import { stderrLogger } from '../../log.ts';

const collect = (value: string, previous: string[]): string[] => [...previous, value];

// "UID:GID", both decimal.
const parseOwner = (value: string): { uid: number; gid: number } => {
  const match = /^(\d+):(\d+)$/.exec(value);
  if (!match) throw new InvalidArgumentError(`expected UID:GID (decimal numbers, e.g. 0:0), got ${JSON.stringify(value)}`);
  return { uid: Number(match[1]), gid: Number(match[2]) };
};

/** Factory for the `tar-tree` subcommand. */
export function tarTreeCommand(): Command {
  return new Command('tar-tree')
    .description('write DIR/layer.tar (GNU tar dialect) and DIR/checksum for a tree; owners and modes are read through find, so fakeroot\'s view is kept')
    .requiredOption('--root <dir>', 'the tree to archive (becomes ./)')
    .requiredOption('--out <dir>', 'where layer.tar and checksum are written')
    .option('--exclude <rel>', 'relative path left out with its subtree (repeatable)', collect, [] as string[])
    .option('--owner <uid:gid>', 'record this owner for every entry instead of the listed one (0:0 is fakeroot\'s view of a tree nobody chowned)', parseOwner)
    .option('--real-owners', 'the build runs as root (fakeroot -u): real owners that differ from fakeroot\'s records win')
    .action(async (opts: { root: string; out: string; exclude: string[]; owner?: { uid: number; gid: number }; realOwners?: boolean }) => {
      await writeTreeTar({ root: opts.root, outDir: opts.out, exclude: opts.exclude, owner: opts.owner, log: stderrLogger(), realOwners: opts.realOwners === true });
    });
}
