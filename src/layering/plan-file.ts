// File-level entry for the `layers` command: read a graph (and pipeline) file, plan, return layers.
import { readFile } from 'node:fs/promises';
import { parseClosureAttrs, parseClosureGraph } from '../closure/parse.ts';
import { UserError } from '../errors.ts';
import { planLayers } from './plan.ts';
import { isStrategyName } from './strategies.ts';

/** Inputs of `nix-strata layers`, as given on the command line. */
export interface PlanFromFilesOptions {
  readonly graphFile: string;
  /** When set, graphFile is a `.attrs.json` and the graph is its attribute of this name. */
  readonly attr?: string;
  readonly maxLayers: number;
  readonly strategy: string;
  readonly pipelineFile?: string;
  readonly excluded: readonly string[];
  readonly baseLayerCount: number;
  readonly storeDir?: string;
  readonly debug?: (text: string) => void;
}

async function readText(file: string, what: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    throw new UserError('input', `cannot read ${what} ${file}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
}

/** Reads the closure graph (JSON or legacy text) and an optional pipeline file, and plans the layers. */
export async function planLayersFromFiles(options: PlanFromFilesOptions): Promise<string[][]> {
  if (!isStrategyName(options.strategy)) {
    throw new UserError('input', `--strategy ${JSON.stringify(options.strategy)} is not a strategy; use popularity or auto`);
  }
  const text = await readText(options.graphFile, 'closure graph');
  const parseOptions = { source: options.graphFile, ...(options.storeDir ? { storeDir: options.storeDir } : {}) };
  const graph = options.attr === undefined ? parseClosureGraph(text, parseOptions) : parseClosureAttrs(text, options.attr, parseOptions);
  let pipeline: unknown = null;
  if (options.pipelineFile !== undefined) {
    const text = await readText(options.pipelineFile, 'layering pipeline');
    try {
      pipeline = JSON.parse(text);
    } catch (error) {
      throw new UserError('input', `${options.pipelineFile}: malformed JSON (${error instanceof Error ? error.message : String(error)}); expected a list of pipeline steps`);
    }
  }
  return planLayers(graph, {
    strategy: options.strategy,
    maxLayers: options.maxLayers,
    baseLayerCount: options.baseLayerCount,
    excluded: options.excluded,
    pipeline,
    ...(options.debug ? { debug: options.debug } : {}),
  });
}
