// Where a builder command run by a __structuredAttrs derivation finds its attributes.
import { UserError } from '../errors.ts';

/** $NIX_ATTRS_JSON_FILE, else the build dir's .attrs.json; `where` says where the command belongs. */
export function defaultAttrsPath(where: string, env: NodeJS.ProcessEnv = process.env): string {
  if (env.NIX_ATTRS_JSON_FILE) return env.NIX_ATTRS_JSON_FILE;
  if (env.NIX_BUILD_TOP) return `${env.NIX_BUILD_TOP}/.attrs.json`;
  throw new UserError('no-attrs', `no .attrs.json: run inside ${where}, or pass --attrs FILE`);
}
