// Strategy registry: `layeringStrategy` name → plain function (giget-style providers).
import type { ClosureGraph } from '../closure/graph.ts';
import { autoStrategy } from './auto.ts';
import { popularityStrategy, type StrategyOptions } from './popularity.ts';

/** A strategy: the closure graph and the store-layer budget N ≥ 1 in, ordered layers of paths out. */
export type LayeringStrategy = (graph: ClosureGraph, budget: number, options: StrategyOptions) => string[][];

/** The strategies `layeringStrategy` may name (api.md §2.2). */
export const strategies = {
  popularity: popularityStrategy,
  auto: autoStrategy,
} as const satisfies Record<string, LayeringStrategy>;

/** A strategy name accepted by `layeringStrategy`. */
export type StrategyName = keyof typeof strategies;

/** Whether a string names a registered strategy. */
export function isStrategyName(name: string): name is StrategyName {
  return Object.hasOwn(strategies, name);
}
