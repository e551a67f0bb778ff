// Manifest annotations (image-spec annotations.md): the user's `annotations`, kept apart from
// the config's `Labels`, plus `org.opencontainers.image.created` from the config's `created`
// when that is a real date. The epoch default (1970-01-01T00:00:01Z) says nothing about when
// the image was made, so it gives no annotation. source/revision/version come only from the user.
import { UserError } from '../errors.ts';

export type Annotations = Readonly<Record<string, string>>;

export const CREATED_KEY = 'org.opencontainers.image.created';
// The default `created`, 1970-01-01T00:00:01Z, in milliseconds (the config writes it as +00:00).
const DEFAULT_CREATED_MS = 1000;

/** The annotations a manifest carries, or undefined for none (then the manifest has no field, as before). */
export function manifestAnnotations(user: Annotations | undefined, rawConfig: Buffer): Annotations | undefined {
  const result: Record<string, string> = {};
  const created = createdOf(rawConfig);
  if (created !== undefined && Date.parse(created) !== DEFAULT_CREATED_MS) result[CREATED_KEY] = created;
  Object.assign(result, user ?? {});
  return Object.keys(result).length === 0 ? undefined : sorted(result);
}

/** Parses `--annotations JSON` (an object of strings); `where` names the flag in the error. */
export function parseAnnotations(text: string, where: string): Annotations {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new UserError('bad-annotations', `${where}: not JSON; expected an object of strings such as {"org.opencontainers.image.source":"https://…"}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value) || !Object.values(value).every((v) => typeof v === 'string')) {
    throw new UserError('bad-annotations', `${where}: expected an object whose values are all strings`);
  }
  return value as Annotations;
}

/** The config's `created`, when it is a string. */
export function createdOf(rawConfig: Buffer): string | undefined {
  try {
    const created = (JSON.parse(rawConfig.toString('utf8')) as { created?: unknown }).created;
    return typeof created === 'string' ? created : undefined;
  } catch {
    return undefined;
  }
}

// Keys sorted, so canonical JSON of the manifest does not depend on the order given.
function sorted(record: Record<string, string>): Annotations {
  return Object.fromEntries(Object.keys(record).sort().map((key) => [key, record[key]!]));
}
