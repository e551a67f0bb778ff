// The `Env` inheritance of images on a base. Layered images (api.md §6.2): only Env is
// inherited; last value wins, first position kept. Missing/null configs count as empty instead
// of crashing as nixpkgs does (api.md §10 item 3). buildImage (api.md §6.3): concatenated.
import { isJsonObject, type JsonObject, type JsonValue } from '../json/lossless.ts';
import { UserError } from '../errors.ts';

/** The child `config` after merging the base image config's `config.Env` into it. */
export function mergeEnv(baseImageConfig: JsonValue | undefined, childConfig: JsonValue): JsonValue {
  const baseConfig = isJsonObject(baseImageConfig) ? baseImageConfig['config'] : undefined;
  const baseEnv = envList(isJsonObject(baseConfig) ? baseConfig['Env'] : undefined, 'base image config.Env');
  const child: JsonObject = isJsonObject(childConfig) ? childConfig : {};
  if (childConfig !== null && !isJsonObject(childConfig)) {
    throw new UserError('bad-config', 'config: expected an attribute set or null when fromImage is set');
  }
  const childEnv = envList(child['Env'], 'config.Env');
  const all = [...baseEnv, ...childEnv];
  if (all.length === 0) return childConfig;

  const merged = new Map<string, string>();
  for (const entry of all) {
    const cut = entry.indexOf('=');
    const key = cut === -1 ? entry : entry.slice(0, cut);
    // Map keeps the first insertion position and takes the last value, exactly the rule.
    merged.set(key, entry);
  }
  // Assigning to an existing key keeps its position; a new key goes last (api.md §6.2 step 4).
  return { ...child, Env: [...merged.values()] };
}

function envList(value: JsonValue | undefined, where: string): string[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value) || !value.every((item): item is string => typeof item === 'string')) {
    throw new UserError('bad-env', `${where}: expected a list of "KEY=value" strings`);
  }
  return value;
}

/** buildImage's Env rule (api.md §6.3): base Env ++ child Env, duplicates kept; the key is always set. */
export function concatenatedEnv(baseEnv: readonly string[], config: JsonValue): JsonObject {
  if (config !== null && !isJsonObject(config)) throw new UserError('bad-config', 'config: expected an attribute set or null');
  const child = config ?? {};
  return { ...child, Env: [...baseEnv, ...envList(child['Env'], 'config.Env')] };
}

/** A base image config's `config.Env` strings (none when absent; other entries are skipped). */
export function baseEnvOf(imageConfig: JsonValue | undefined): string[] {
  const inner = isJsonObject(imageConfig) ? imageConfig['config'] : undefined;
  const env = isJsonObject(inner) ? inner['Env'] : undefined;
  return Array.isArray(env) ? env.filter((item): item is string => typeof item === 'string') : [];
}
