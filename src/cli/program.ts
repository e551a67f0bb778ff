// The commander program: one factory per subcommand (src/cli/commands/*), no logic here.
import { Command } from 'commander';
import { layersCommand } from './commands/layers.ts';
import { mergeContentsCommand } from './commands/merge-contents.ts';
import { tarTreeCommand } from './commands/tar-tree.ts';
import { pullCommand } from './commands/pull.ts';
import { exportCommand } from './commands/export.ts';
import { inspectCommand } from './commands/inspect.ts';
import { confCommand } from './commands/conf.ts';
import { streamCommand } from './commands/stream.ts';
import { buildImageCommand } from './commands/build-image.ts';

export function createProgram(): Command {
  const program = new Command('nix-strata')
    .description('Build container images from Nix closures (drop-in for dockerTools.buildLayeredImage)')
    .exitOverride()
    .showHelpAfterError();
  program.addCommand(confCommand());
  program.addCommand(streamCommand());
  program.addCommand(layersCommand());
  program.addCommand(mergeContentsCommand());
  program.addCommand(tarTreeCommand());
  program.addCommand(pullCommand());
  program.addCommand(exportCommand());
  program.addCommand(inspectCommand());
  program.addCommand(buildImageCommand());
  return program;
}
