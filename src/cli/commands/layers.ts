// `nix-strata layers`: print the layer plan for a closure graph as JSON (stdout carries only data).
import { Command, InvalidArgumentError } from 'commander';
import { planLayersFromFiles } from '../../steps/layers.ts';

function nonNegativeInteger(flag: string): (value: string) => number {
  return (value) => {
    if (!/^\d+$/.test(value)) throw new InvalidArgumentError(`${flag} must be a non-negative integer, got ${JSON.stringify(value)}`);
    return Number(value);
  };
}

const collect = (value: string, previous: string[]): string[] => [...previous, value];

/** Factory for the `layers` subcommand. */
export function layersCommand(): Command {
  return new Command('layers')
    .description('print the layer plan (JSON list of lists of store paths) for a closure graph (JSON or legacy text)')
    .requiredOption('--graph <file>', 'closure graph written by exportReferencesGraph')
    .option('--attr <name>', 'read the graph from this attribute of a .attrs.json given as --graph')
    .option('--max-layers <n>', 'total layer budget, including base and customisation layers', nonNegativeInteger('--max-layers'), 100)
    .option('--strategy <name>', 'popularity or auto (ignored with --pipeline)', 'popularity')
    .option('--pipeline <file>', 'JSON file holding a layeringPipeline (replaces strategy and budget)')
    .option('--exclude <path>', 'a store path to keep out of the plan (repeatable)', collect, [] as string[])
    .option('--base-layers <n>', 'number of layers in fromImage', nonNegativeInteger('--base-layers'), 0)
    .option('--store-dir <dir>', 'store directory the graph paths live under', '/nix/store')
    .option('--debug', 'print the layer table to stderr')
    .action(async (opts: { graph: string; attr?: string; maxLayers: number; strategy: string; pipeline?: string; exclude: string[]; baseLayers: number; storeDir: string; debug?: boolean }) => {
      const plan = await planLayersFromFiles({
        graphFile: opts.graph,
        ...(opts.attr !== undefined ? { attr: opts.attr } : {}),
        maxLayers: opts.maxLayers,
        strategy: opts.strategy,
        ...(opts.pipeline !== undefined ? { pipelineFile: opts.pipeline } : {}),
        excluded: opts.exclude,
        baseLayerCount: opts.baseLayers,
        storeDir: opts.storeDir,
        ...(opts.debug ? { debug: (text: string) => process.stderr.write(text) } : {}),
      });
      process.stdout.write(`${JSON.stringify(plan, null, 2)}\n`);
    });
}
