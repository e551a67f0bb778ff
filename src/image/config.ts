// The image configuration object in nixpkgs' exact field order: the layered builders'
// (format.md §2.1) and buildImage's (api.md §6.3).
import type { JsonObject, JsonValue } from '../json/lossless.ts';
import { pythonJsonDumps, pythonListRepr } from '../json/python-compat.ts';
import type { Digest } from '../digest/digest.ts';

/** Inputs of an image configuration: everything except what is derived from the layers' bytes. */
export interface ImageConfigParts {
  /** Resolved `created` string (`…+00:00`). */
  readonly created: string;
  readonly architecture: string;
  /** The CPU variant (e.g. "v8"); no `variant` field when absent, as nixpkgs writes none. */
  readonly variant?: string;
  /** The `config` object after any Env merge. */
  readonly config: JsonValue;
  /** One per layer, bottom to top. */
  readonly diffIds: readonly Digest[];
  /** One per layer: what its history comment lists (store paths or a base member name). */
  readonly historyOrigins: ReadonlyArray<readonly string[]>;
}

/** The config object with keys in format.md §2.1 order. */
export function imageConfigObject(parts: ImageConfigParts): JsonObject {
  if (parts.diffIds.length !== parts.historyOrigins.length) {
    throw new Error(`imageConfigObject: ${parts.diffIds.length} diff_ids but ${parts.historyOrigins.length} history entries`);
  }
  return {
    created: parts.created,
    architecture: parts.architecture,
    os: 'linux',
    ...(parts.variant === undefined ? {} : { variant: parts.variant }),
    config: parts.config,
    rootfs: { diff_ids: [...parts.diffIds], type: 'layers' },
    history: parts.historyOrigins.map((origin) => ({ created: parts.created, comment: historyComment(origin) })),
  };
}

/**
 * buildImage's config object: the key order nixpkgs' jq writes, and one history entry per
 * layer with only `created` (api.md §6.3); `historyOrigins` only counts the layers.
 */
export function buildImageConfigObject(parts: ImageConfigParts): JsonObject {
  return {
    architecture: parts.architecture,
    config: parts.config,
    created: parts.created,
    os: 'linux',
    // Only when given (nixpkgs writes none): buildImage's `variant` extension.
    ...(parts.variant === undefined ? {} : { variant: parts.variant }),
    rootfs: { diff_ids: [...parts.diffIds], type: 'layers' },
    history: parts.historyOrigins.map(() => ({ created: parts.created })),
  };
}

/** Which builder's config an image gets. */
export type ConfigStyle = 'layered' | 'build-image';

/** The exact config bytes (json.dumps indent=4, no trailing newline). */
export function imageConfigBytes(parts: ImageConfigParts, style: ConfigStyle = 'layered'): Buffer {
  const object = style === 'layered' ? imageConfigObject(parts) : buildImageConfigObject(parts);
  return Buffer.from(pythonJsonDumps(object), 'utf8');
}

/** `store paths: ['…', '…']`, Python's str() of a list of strings. */
export function historyComment(origin: readonly string[]): string {
  return `store paths: ${pythonListRepr(origin)}`;
}
