// The build spec Nix hands to `nix-strata conf` (docs/contract.md): validated strictly,
// with the JSON path of every mistake, because a wrong value here is a wrong image later.
import { UserError } from '../errors.ts';
import { isStrategyName, strategies, type StrategyName } from '../layering/strategies.ts';

/** A layering pipeline as Nix passes it: steps, or a store path of a JSON file holding them. */
export type PipelineInput = readonly unknown[] | string;

/** Version 1 of the spec; every field is required (Nix owns the defaults). */
export interface BuildSpec {
  version: 1;
  imageName: string;
  tag: string | null;
  architecture: string;
  created: string;
  mtime: string;
  uid: number;
  gid: number;
  uname: string;
  gname: string;
  maxLayers: number;
  layeringStrategy: StrategyName;
  layeringPipeline: PipelineInput | null;
  fromImage: string | null;
  baseJson: string;
  /** Where the customisation layer is (or, with customisationContents, is to be written). */
  customisationLayer: string;
  /**
   * Non-null when this derivation builds the customisation layer itself (no commands to run):
   * the `contents` elements to merge, written to customisationLayer, one of its outputs.
   */
  customisationContents: string[] | null;
  includeStorePaths: boolean;
  storeDir: string;
  /** buildLayer output directories (`layers`), in list order; their parents are read from their layer.json. */
  givenLayers: string[];
}

/** Checks one field: undefined when it is right, else what was expected. */
export type FieldCheck = (value: unknown, path: string) => string | undefined;

export const isString: FieldCheck = (v) => (typeof v === 'string' ? undefined : 'a string');
export const isNonEmptyString: FieldCheck = (v) => (typeof v === 'string' && v !== '' ? undefined : 'a non-empty string');
const isBoolean: FieldCheck = (v) => (typeof v === 'boolean' ? undefined : 'true or false');
// What tar and Docker store as an owner id; 2^32−1 is the kernel's "no id" (nix/validate.nix).
export const isOwnerId: FieldCheck = (v) => (Number.isSafeInteger(v) && (v as number) >= 0 && (v as number) <= 0xfffffffe ? undefined : 'an integer from 0 to 4294967294');
/** A list of non-empty strings (store paths); `what` says which. */
export const isPathList = (what: string): FieldCheck => (v) => (Array.isArray(v) && v.every((item) => typeof item === 'string' && item !== '') ? undefined : what);
const orNull = (check: FieldCheck): FieldCheck => (v, p) => (v === null ? undefined : check(v, p) && `${check(v, p)} or null`);

const FIELDS: Record<keyof BuildSpec, FieldCheck> = {
  version: (v) => (v === 1 ? undefined : '1 (this builder reads spec version 1; rebuild with a matching nix-strata)'),
  imageName: isNonEmptyString,
  tag: orNull(isNonEmptyString),
  architecture: isNonEmptyString,
  created: isNonEmptyString,
  mtime: isNonEmptyString,
  uid: isOwnerId,
  gid: isOwnerId,
  uname: isString,
  gname: isString,
  maxLayers: (v) => (Number.isSafeInteger(v) ? undefined : 'an integer'),
  layeringStrategy: (v) => (typeof v === 'string' && isStrategyName(v) ? undefined : Object.keys(strategies).map((name) => `"${name}"`).join(' or ')),
  layeringPipeline: (v) => (v === null || Array.isArray(v) || typeof v === 'string' ? undefined : 'a list of steps, a path, or null'),
  fromImage: orNull(isNonEmptyString),
  baseJson: isNonEmptyString,
  customisationLayer: isNonEmptyString,
  customisationContents: orNull(isPathList('a list of store paths')),
  includeStorePaths: isBoolean,
  storeDir: isNonEmptyString,
  givenLayers: isPathList('a list of buildLayer output paths'),
};

/**
 * Validates the `spec` attribute; every problem is collected and reported together, in one
 * line that names `file` (the attrs file holding the spec) once, before the problems.
 */
export function parseSpec(value: unknown, file?: string): BuildSpec {
  const inFile = (problems: readonly string[]): UserError => {
    const count = problems.length > 1 ? `${problems.length} problems in the spec: ` : '';
    return new UserError('bad-spec', `${file === undefined ? '' : `${file}: `}${count}${problems.join('; ')}`);
  };
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw inFile([`spec: expected an object, got ${describe(value)}`]);
  }
  const record = value as Record<string, unknown>;
  const { unknown, invalid } = fieldProblems(record, FIELDS);
  const problems = [...unknown.map((key) => `spec.${key}: unknown field (this builder does not know it; nix/ and the builder are out of step)`), ...invalid];
  if (problems.length > 0) throw inFile(problems);
  return record as unknown as BuildSpec;
}

/**
 * `record` (a spec) against `fields`: the keys `fields` does not know, and one problem per field
 * missing or not as expected (`spec.<key>: …`), in the order of `fields`.
 */
export function fieldProblems(record: Record<string, unknown>, fields: Record<string, FieldCheck>): { unknown: string[]; invalid: string[] } {
  const unknown = Object.keys(record).filter((key) => !(key in fields));
  const invalid: string[] = [];
  for (const [key, check] of Object.entries(fields)) {
    const path = `spec.${key}`;
    if (!(key in record)) {
      invalid.push(`${path}: missing`);
      continue;
    }
    const expected = check(record[key], path);
    if (expected) invalid.push(`${path}: expected ${expected}, got ${describe(record[key])}`);
  }
  return { unknown, invalid };
}

function describe(value: unknown): string {
  const text = JSON.stringify(value);
  return text === undefined ? String(value) : text.length > 80 ? `${text.slice(0, 77)}...` : text;
}
