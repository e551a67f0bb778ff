// Cutting a closure graph down to what some roots reach: the conf derivation that builds the
// customisation layer itself receives the closure of every `contents` element, while the image
// holds only what that layer (and baseJson) actually reference (api.md §5.2).
import type { ClosureNode } from './graph.ts';

/** The nodes reachable from `roots` by references (roots included), in input order. */
export function closureOfRoots(nodes: readonly ClosureNode[], roots: readonly string[]): ClosureNode[] {
  const byPath = new Map(nodes.map((node) => [node.path, node]));
  const reached = new Set<string>();
  const pending = roots.filter((root) => byPath.has(root));
  while (pending.length > 0) {
    const path = pending.pop()!;
    if (reached.has(path)) continue;
    reached.add(path);
    for (const reference of byPath.get(path)!.references) {
      if (!reached.has(reference) && byPath.has(reference)) pending.push(reference);
    }
  }
  return nodes.filter((node) => reached.has(node.path));
}
