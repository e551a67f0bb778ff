// `nix-strata load`: the body of copyToDockerDaemon / copyToPodman.
import { Command } from 'commander';
import { UserError } from '../../errors.ts';
import { stderrLogger } from '../../log.ts';
import { checkRepoTag } from '../../registry/reference.ts';
import { ENGINES, loadImage, type Engine } from '../../steps/load.ts';

/** Factory for the `load` subcommand. */
export function loadCommand(): Command {
  return new Command('load')
    .description('stream the image into `docker load` or `podman load` (no archive on disk)')
    .option('--conf <file>', 'the conf written by `nix-strata conf`')
    .option('--image <file>', 'instead of --conf: a docker-archive')
    .option('--engine <engine>', `the engine to load into: ${ENGINES.join(', ')}`, 'docker')
    .option('-t, --repo-tag <name:tag>', 'load under this reference instead of the image\'s')
    .option('-q, --quiet', 'no progress lines on stderr')
    .action(async (options: { conf?: string; image?: string; engine: string; repoTag?: string; quiet?: boolean }) => {
      if (!(ENGINES as readonly string[]).includes(options.engine)) {
        throw new UserError('bad-engine', `unknown --engine "${options.engine}": use one of ${ENGINES.join(', ')}`);
      }
      if (options.repoTag !== undefined) checkRepoTag(options.repoTag, '--repo-tag');
      await loadImage({
        confPath: options.conf,
        imagePath: options.image,
        repoTag: options.repoTag,
        engine: options.engine as Engine,
        log: stderrLogger({ quiet: options.quiet === true }),
      });
    });
}
