// The layer plan: budget rule (layering.md §2), then a strategy, or a pipeline (§7) when given.
import { withoutPaths, type ClosureGraph } from '../closure/graph.ts';
import { UserError } from '../errors.ts';
import { parsePipeline, runPipeline } from './pipeline.ts';
import { strategies, type StrategyName } from './strategies.ts';
import { workGraphOf } from './work-graph.ts';

/** How to plan: strategy and budget, or a pipeline that replaces both. */
export interface PlanOptions {
  /** Used when `pipeline` is null; `"popularity"` is the project default. */
  readonly strategy?: StrategyName;
  /** Total layer budget including base and customisation layers; ignored with a pipeline. */
  readonly maxLayers: number;
  /** Layers of `fromImage` (0 without one); ignored with a pipeline. */
  readonly baseLayerCount?: number;
  /** Paths that never appear in the plan: baseJson and the customisation layer output. */
  readonly excluded?: readonly string[];
  /** Layers given ready-made (buildLayer's, `layers`): their count takes from the budget, their paths leave the graph. */
  readonly given?: { readonly layerCount: number; readonly paths: ReadonlySet<string> };
  /** A `layeringPipeline` value (JSON list of steps), or null/undefined for the strategy. */
  readonly pipeline?: unknown;
  /** Receives the debug table (auto) or summary (popularity) when given. */
  readonly debug?: (text: string) => void;
}

/** Store-layer budget N = maxLayers − 1 − baseLayers − givenLayers; a UserError when it is below 1 (api.md §8 row 4). */
export function storeLayerBudget(maxLayers: number, baseLayerCount: number, givenLayerCount = 0): number {
  if (!Number.isInteger(maxLayers)) {
    throw new UserError('layer-budget', `maxLayers must be an integer, got ${maxLayers}; use a whole number such as 100`);
  }
  const usedLayers = 1 + baseLayerCount + givenLayerCount;
  if (usedLayers >= maxLayers) {
    const given = givenLayerCount === 0 ? '' : ` + ${givenLayerCount} given in \`layers\``;
    throw new UserError('layer-budget',
      `maxLayers=${maxLayers} leaves no layer for store paths: ${usedLayers} layer${usedLayers === 1 ? ' is' : 's are'} already used ` +
      `(${baseLayerCount} from fromImage${given} + 1 customisation layer); raise maxLayers to at least ${usedLayers + 1}`);
  }
  return maxLayers - usedLayers;
}

/** The ordered store layers (each an ordered list of paths) for a closure graph. */
export function planLayers(fullGraph: ClosureGraph, options: PlanOptions): string[][] {
  const graph = options.given === undefined ? fullGraph : withoutPaths(fullGraph, options.given.paths);
  const excluded = new Set(options.excluded ?? []);
  const debug = options.debug;
  if (options.pipeline !== null && options.pipeline !== undefined) {
    // Parsed before the empty-graph shortcut so a broken pipeline fails even without store paths.
    const steps = parsePipeline(options.pipeline);
    if (graph.nodes.length === 0) return [];
    const layers = runPipeline(steps, workGraphOf(graph, { excluded, order: 'narSize' }));
    debug?.(`pipeline: ${layers.length} store layers\n${layers.map((l, i) => `${i + 1}  ${l.join(' ')}`).join('\n')}\n`);
    return layers;
  }
  // nixpkgs checks the budget even when there is nothing to place (api.md §2.2 Quirk); so do we.
  const budget = storeLayerBudget(options.maxLayers, options.baseLayerCount ?? 0, options.given?.layerCount ?? 0);
  if (graph.nodes.length === 0) return [];
  return strategies[options.strategy ?? 'popularity'](graph, budget, { excluded, ...(debug ? { debug } : {}) });
}
