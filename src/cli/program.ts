// The commander program: one factory per subcommand (src/cli/commands/*), no logic here.
import { Command } from 'commander';
import { layersCommand } from './commands/layers.ts';

export function createProgram(): Command {
  const program = new Command('nix-strata')
    .description('Build container images from Nix closures (drop-in for dockerTools.buildLayeredImage)')
    .exitOverride()
    .showHelpAfterError();
  program.addCommand(layersCommand());
  return program;
}
