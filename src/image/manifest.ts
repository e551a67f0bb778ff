// The docker-archive `manifest.json` (format.md §2.2): one entry, keys Config, RepoTags, Layers.
import { pythonJsonDumps } from '../json/python-compat.ts';

/** What one manifest entry names. */
export interface ManifestParts {
  /** The config member name, `<hex>.json`. */
  readonly config: string;
  readonly repoTags: readonly string[];
  /** Layer member names, bottom to top. */
  readonly layers: readonly string[];
}

/** The exact `manifest.json` bytes (4-space indent, no trailing newline). */
export function manifestBytes(parts: ManifestParts): Buffer {
  const entry = { Config: parts.config, RepoTags: [...parts.repoTags], Layers: [...parts.layers] };
  return Buffer.from(pythonJsonDumps([entry]), 'utf8');
}
