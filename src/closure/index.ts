// Public surface of the closure module: parsing and graph algorithms.
export { parseClosureGraph, parseClosureAttrs, closureGraphFromAttrs, closureGraphFromJson, type ParseClosureOptions } from './parse.ts';
export {
  createClosureGraph, compareCodePoints, refsOf, depsOf, usersOf, rootsOf, reachable,
  type ClosureGraph, type ClosureNode,
} from './graph.ts';
