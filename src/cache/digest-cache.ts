// A cache of store-layer digests, so a rebuild re-hashes only the layers whose store paths
// changed. A layer's bytes are a pure function of its store paths' contents (named by their
// narHash) and the tar options, so that tuple is the key. Entries are only hints: the stream
// verifies every byte it emits against the digest, so a bad entry fails loudly, never silently.
import { mkdir, readFile, rename, writeFile, access, constants } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { canonicalJson } from '../json/canonical.ts';
import { parseDigest, sha256Digest, hexOf, type Digest } from '../digest/digest.ts';

/** What is cached for one layer. */
export interface LayerDigest {
  digest: Digest;
  size: number;
}

/** Everything that determines a store layer's bytes. */
export interface LayerKey {
  /** Each store path with its narHash, in layer order. */
  paths: ReadonlyArray<{ path: string; narHash: string }>;
  owner: { uid: number; gid: number; uname: string; gname: string };
  mtime: number;
  storeDir: string;
}

export interface DigestCache {
  readonly location: string | undefined;
  get(key: LayerKey): Promise<LayerDigest | undefined>;
  put(key: LayerKey, value: LayerDigest): Promise<void>;
}

// Bump when the store-layer byte format changes, so old entries are never reused.
const FORMAT_VERSION = 1;

/** The name of a key's entry: sha256 of its canonical JSON. */
export function cacheKeyName(key: LayerKey): string {
  return hexOf(sha256Digest(canonicalJson({ formatVersion: FORMAT_VERSION, ...key })));
}

/** A cache in `directory`, or one that remembers nothing when `directory` is undefined. */
export function openDigestCache(directory: string | undefined): DigestCache {
  if (directory === undefined) {
    return { location: undefined, get: async () => undefined, put: async () => undefined };
  }
  const entryPath = (key: LayerKey) => {
    const name = cacheKeyName(key);
    return join(directory, name.slice(0, 2), `${name}.json`);
  };
  return {
    location: directory,
    async get(key) {
      let text: string;
      try {
        text = await readFile(entryPath(key), 'utf8');
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw error;
      }
      try {
        const entry = JSON.parse(text) as { digest: unknown; size: unknown };
        if (!Number.isSafeInteger(entry.size)) return undefined;
        return { digest: parseDigest(entry.digest, 'digest cache'), size: entry.size as number };
      } catch {
        // A torn or foreign entry is a miss; the layer is simply hashed again.
        return undefined;
      }
    },
    async put(key, value) {
      const path = entryPath(key);
      await mkdir(join(path, '..'), { recursive: true });
      const temporary = `${path}.${process.pid}.tmp`;
      await writeFile(temporary, JSON.stringify(value));
      await rename(temporary, path);
    },
  };
}

/**
 * Where the cache lives: $NIX_STRATA_CACHE if set (empty disables it); else
 * /var/cache/nix-strata when it exists and is writable (reachable inside the Nix sandbox via
 * `extra-sandbox-paths`, as with ccache); else ~/.cache/nix-strata outside Nix builds.
 */
export async function defaultCacheDirectory(
  env: NodeJS.ProcessEnv = process.env,
  shared = '/var/cache/nix-strata',
): Promise<string | undefined> {
  if (env.NIX_STRATA_CACHE !== undefined) return env.NIX_STRATA_CACHE === '' ? undefined : env.NIX_STRATA_CACHE;
  if (await isWritableDirectory(shared)) return shared;
  if (env.NIX_BUILD_TOP !== undefined) return undefined;
  const base = env.XDG_CACHE_HOME ?? join(env.HOME ?? homedir(), '.cache');
  return join(base, 'nix-strata', 'digests');
}

async function isWritableDirectory(path: string): Promise<boolean> {
  try {
    await access(path, constants.W_OK | constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
