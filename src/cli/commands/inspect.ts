// `nix-strata inspect IMAGE`: list an archive's layers (member, size, diff_id, store paths) and config.
import { Command } from 'commander';
import { describeArchive } from '../../steps/inspect.ts';

/** Factory for the `inspect` subcommand. */
export function inspectCommand(): Command {
  return new Command('inspect')
    .description('list the layers of a docker-archive (plain, gz, zstd, bzip2 or xz) with sizes, diff_ids and store paths, then its config')
    .argument('<image>', 'docker-archive file')
    .action(async (image: string) => {
      process.stdout.write(await describeArchive(image));
    });
}
