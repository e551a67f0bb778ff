// The commander program: one factory per subcommand (src/cli/commands/*), no logic here.
import { Command } from 'commander';

export function createProgram(): Command {
  const program = new Command('nix-strata')
    .description('Build container images from Nix closures (drop-in for dockerTools.buildLayeredImage)')
    .exitOverride()
    .showHelpAfterError();
  return program;
}
