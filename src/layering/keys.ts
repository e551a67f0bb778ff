// Sort keys used for tie-breaks (layering.md §3). Code-point comparison throughout.
import { compareCodePoints } from '../closure/graph.ts';

/** Rotated key: the hash prefix moved to the end (`/nix/store/abc-hello-2.12` → `hello-2.12-/nix/store/abc`). */
export function rotatedKey(path: string): string {
  const dash = path.indexOf('-');
  return dash < 0 ? path : `${path.slice(dash + 1)}-${path.slice(0, dash)}`;
}

/** Compares two paths by rotated key (popularity ties, §4.4). */
export function compareRotated(a: string, b: string): number {
  return compareCodePoints(rotatedKey(a), rotatedKey(b));
}

/** Compares two paths by name key: (name after the first `-`, prefix before it) (auto strategy, §6.2). */
export function compareNameKey(a: string, b: string): number {
  const da = a.indexOf('-');
  const db = b.indexOf('-');
  const nameA = da < 0 ? '' : a.slice(da + 1);
  const nameB = db < 0 ? '' : b.slice(db + 1);
  return compareCodePoints(nameA, nameB) || compareCodePoints(da < 0 ? a : a.slice(0, da), db < 0 ? b : b.slice(0, db));
}
