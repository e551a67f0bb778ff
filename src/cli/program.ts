// The commander program: one factory per subcommand (src/cli/commands/*), no logic here.
// Subcommands are loaded on demand: `nix-strata conf` runs once per image build, and loading
// every command's dependencies would be most of an incremental rebuild's time.
import { Command } from 'commander';
import { packageVersion } from '../version.ts';

const COMMANDS: Record<string, (argv: readonly string[]) => Promise<Command>> = {
  conf: async () => (await import('./commands/conf.ts')).confCommand(),
  layer: async () => (await import('./commands/layer.ts')).layerCommand(),
  stream: async (argv) => {
    // Its worker threads boot while its modules load (steps/stream-threads.ts says why).
    (await import('../steps/stream-threads.ts')).prestartStreamThreads(argv);
    return (await import('./commands/stream.ts')).streamCommand();
  },
  load: async () => (await import('./commands/load.ts')).loadCommand(),
  push: async () => (await import('./commands/push.ts')).pushCommand(),
  layers: async () => (await import('./commands/layers.ts')).layersCommand(),
  'merge-contents': async () => (await import('./commands/merge-contents.ts')).mergeContentsCommand(),
  customise: async () => (await import('./commands/customise.ts')).customiseCommand(),
  'tar-tree': async () => (await import('./commands/tar-tree.ts')).tarTreeCommand(),
  pull: async () => (await import('./commands/pull.ts')).pullCommand(),
  export: async () => (await import('./commands/export.ts')).exportCommand(),
  inspect: async () => (await import('./commands/inspect.ts')).inspectCommand(),
  'build-image': async () => (await import('./commands/build-image.ts')).buildImageCommand(),
  'merge-images': async () => (await import('./commands/merge-images.ts')).mergeImagesCommand(),
  'image-index': async () => (await import('./commands/image-index.ts')).imageIndexCommand(),
  'push-index': async () => (await import('./commands/image-index.ts')).pushIndexCommand(),
  sbom: async () => (await import('./commands/sbom.ts')).sbomCommand(),
};

/** The program for `argv` (as process.argv): only the named subcommand, or all of them for help. */
export async function createProgram(argv: readonly string[] = []): Promise<Command> {
  const program = new Command('nix-strata')
    .description('Build container images from Nix closures (drop-in for dockerTools.buildLayeredImage)')
    .version(packageVersion(), '-V, --version', 'print the nix-strata version')
    .exitOverride()
    // A mistyped command is one line, with commander's nearest command, not the whole help.
    .configureOutput({ outputError: (text, write) => write(oneLineError(text)) });
  const named = argv[2];
  const wanted = named !== undefined && Object.hasOwn(COMMANDS, named) ? [named] : Object.keys(COMMANDS);
  for (const name of wanted) program.addCommand(await COMMANDS[name]!(argv));
  return program;
}

/** commander's `error: unknown command 'x'\n(Did you mean y?)` as this CLI's one line. */
function oneLineError(text: string): string {
  const message = text.trim().replace(/^error: /, '').replace(/\s*\n\(Did you mean (.+)\?\)$/, '; did you mean $1?');
  return `nix-strata: ${message.replace(/\s*\n\s*/g, '; ')} (\`nix-strata --help\` lists the commands and options)\n`;
}
