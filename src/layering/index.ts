// Public surface of the layering module; the strategy registry lives in strategies.ts.
export { strategies, isStrategyName, type LayeringStrategy, type StrategyName } from './strategies.ts';
export { planLayers, storeLayerBudget, type PlanOptions } from './plan.ts';
export { parsePipeline, runPipeline, evaluatePipeline, type PipelineStep, type PipelineValue } from './pipeline.ts';
export { autoLayerTable, autoStrategy, type AutoLayerRow } from './auto.ts';
export { popularityCounts, rankByPopularity, splitRanked, popularityStrategy, popularitySummary, type StrategyOptions } from './popularity.ts';
export { rotatedKey, compareNameKey, compareRotated } from './keys.ts';
export { workGraphOf, type WorkGraph } from './work-graph.ts';
