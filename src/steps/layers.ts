// `nix-strata layers`: reads a closure graph (and a pipeline) file and plans the layers.
import { parseClosureAttrs, parseClosureGraph } from '../closure/parse.ts';
import { UserError } from '../errors.ts';
import { readInputFile, readJsonFile } from '../json/read-file.ts';
import { planLayers } from '../layering/plan.ts';
import { isStrategyName } from '../layering/strategies.ts';

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

/** Reads the closure graph (JSON or legacy text) and an optional pipeline file, and plans the layers. */
export async function planLayersFromFiles(options: PlanFromFilesOptions): Promise<string[][]> {
  if (!isStrategyName(options.strategy)) {
    throw new UserError('input', `--strategy ${JSON.stringify(options.strategy)} is not a strategy; use popularity or auto`);
  }
  const text = await readInputFile(options.graphFile, { what: 'closure graph', code: 'closure-graph' });
  const parseOptions = { source: options.graphFile, ...(options.storeDir ? { storeDir: options.storeDir } : {}) };
  const graph = options.attr === undefined ? parseClosureGraph(text, parseOptions) : parseClosureAttrs(text, options.attr, parseOptions);
  const pipeline = options.pipelineFile === undefined
    ? null
    : await readJsonFile(options.pipelineFile, { what: 'layering pipeline', code: 'pipeline', expected: 'a list of pipeline steps' });
  return planLayers(graph, {
    strategy: options.strategy,
    maxLayers: options.maxLayers,
    baseLayerCount: options.baseLayerCount,
    excluded: options.excluded,
    pipeline,
    ...(options.debug ? { debug: options.debug } : {}),
  });
}
