// Where a builder command run by a __structuredAttrs derivation finds its attributes.
import { existsSync } from 'node:fs';
import { UserError } from '../errors.ts';

/**
 * The build dir's .attrs.json, else $NIX_ATTRS_JSON_FILE; `where` says where the command belongs.
 * The build dir comes first: before Nix 2.15 the variable holds the host-side path, which does
 * not exist inside the sandbox (NixOS/nix#6736), while $NIX_BUILD_TOP/.attrs.json always does.
 */
export function defaultAttrsPath(where: string, env: NodeJS.ProcessEnv = process.env): string {
  const inBuildDir = env.NIX_BUILD_TOP ? `${env.NIX_BUILD_TOP}/.attrs.json` : undefined;
  if (inBuildDir !== undefined && existsSync(inBuildDir)) return inBuildDir;
  if (env.NIX_ATTRS_JSON_FILE) return env.NIX_ATTRS_JSON_FILE;
  if (inBuildDir !== undefined) return inBuildDir;
  throw new UserError('no-attrs', `no .attrs.json: run inside ${where}, or pass --attrs FILE`);
}
