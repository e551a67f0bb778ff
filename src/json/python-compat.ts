// Byte-exact imitations of Python's json.dumps(indent=4) and repr(), isolated here because
// nixpkgs' image config and history comments are produced by Python (format.md §2.1) and the
// image ID is the sha256 of those bytes. Nothing else in the project should need this.
import { isLosslessNumber, type JsonValue } from './lossless.ts';

const INDENT = '    ';

/** `json.dumps(value, indent=4)` as CPython writes it: ensure_ascii, ", " → ",", ": ", no newline at the end. */
export function pythonJsonDumps(value: JsonValue): string {
  return dump(value, 0);
}

function dump(value: JsonValue, depth: number): string {
  if (value === null) return 'null';
  if (value === true) return 'true';
  if (value === false) return 'false';
  if (typeof value === 'string') return pythonJsonString(value);
  if (isLosslessNumber(value)) return pythonNumber(value.value);
  const inner = INDENT.repeat(depth + 1);
  const outer = INDENT.repeat(depth);
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    return `[\n${value.map((item) => inner + dump(item, depth + 1)).join(',\n')}\n${outer}]`;
  }
  const keys = sourceKeyOrder(Object.keys(value));
  if (keys.length === 0) return '{}';
  const members = keys.map((key) => `${inner}${pythonJsonString(key)}: ${dump(value[key]!, depth + 1)}`);
  return `{\n${members.join(',\n')}\n${outer}}`;
}

/**
 * JS objects list integer-like keys ("1", "10", "9") first in numeric order whatever the
 * source order was. Objects from Nix are byte-sorted, so those keys are merged back into the
 * other keys in byte order; the other keys keep their order (e.g. an appended Env stays last).
 */
export function sourceKeyOrder(keys: readonly string[]): string[] {
  const integers = keys.filter(isArrayIndex).sort();
  if (integers.length === 0) return [...keys];
  const result: string[] = [];
  let next = 0;
  for (const key of keys) {
    if (isArrayIndex(key)) continue;
    while (next < integers.length && integers[next]! < key) result.push(integers[next++]!);
    result.push(key);
  }
  return result.concat(integers.slice(next));
}

function isArrayIndex(key: string): boolean {
  return /^(?:0|[1-9]\d{0,9})$/.test(key) && Number(key) < 4294967295;
}

const SHORT_ESCAPES: Record<string, string> = {
  '"': '\\"',
  '\\': '\\\\',
  '\n': '\\n',
  '\r': '\\r',
  '\t': '\\t',
  '\b': '\\b',
  '\f': '\\f',
};

/** A JSON string literal with ensure_ascii: lower-case `\uXXXX` per UTF-16 unit (so surrogate pairs). */
export function pythonJsonString(text: string): string {
  let out = '"';
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    const char = text[i]!;
    const short = SHORT_ESCAPES[char];
    if (short !== undefined) out += short;
    else if (unit >= 0x20 && unit <= 0x7e) out += char;
    else out += `\\u${unit.toString(16).padStart(4, '0')}`;
  }
  return `${out}"`;
}

/**
 * A number lexeme as Python re-serialises it after json.loads: integers exactly (arbitrary
 * size), floats in repr form (shortest round trip, `.0` added, exponent beyond 1e16 / below 1e-4).
 */
export function pythonNumber(lexeme: string): string {
  if (/^-?\d+$/.test(lexeme)) return BigInt(lexeme).toString();
  return pythonFloatRepr(Number(lexeme));
}

/** `repr(float)` in CPython 3 (float_repr_style "short"). */
export function pythonFloatRepr(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return 'Infinity';
  if (value === -Infinity) return '-Infinity';
  const sign = value < 0 || Object.is(value, -0) ? '-' : '';
  const [mantissa, exponentText] = Math.abs(value).toExponential().split('e') as [string, string];
  const digits = mantissa.replace('.', '');
  const exponent = Number(exponentText);
  const decimalPoint = exponent + 1;
  if (decimalPoint > 16 || decimalPoint <= -4) {
    const fraction = digits.length > 1 ? `.${digits.slice(1)}` : '';
    const expSign = exponent < 0 ? '-' : '+';
    return `${sign}${digits[0]}${fraction}e${expSign}${String(Math.abs(exponent)).padStart(2, '0')}`;
  }
  if (decimalPoint <= 0) return `${sign}0.${'0'.repeat(-decimalPoint)}${digits}`;
  if (decimalPoint >= digits.length) return `${sign}${digits}${'0'.repeat(decimalPoint - digits.length)}.0`;
  return `${sign}${digits.slice(0, decimalPoint)}.${digits.slice(decimalPoint)}`;
}

const NON_PRINTABLE = /[\p{C}\p{Z}]/u;

/** `repr(str)` in CPython 3: single quotes unless the text has `'` and no `"`; escapes as Python does. */
export function pythonStrRepr(text: string): string {
  const quote = text.includes("'") && !text.includes('"') ? '"' : "'";
  let out = quote;
  for (const char of text) {
    const code = char.codePointAt(0)!;
    if (char === quote || char === '\\') out += `\\${char}`;
    else if (char === '\n') out += '\\n';
    else if (char === '\r') out += '\\r';
    else if (char === '\t') out += '\\t';
    else if (code === 0x20 || !NON_PRINTABLE.test(char)) out += char;
    else if (code < 0x100) out += `\\x${code.toString(16).padStart(2, '0')}`;
    else if (code < 0x10000) out += `\\u${code.toString(16).padStart(4, '0')}`;
    else out += `\\U${code.toString(16).padStart(8, '0')}`;
  }
  return out + quote;
}

/** `repr(list_of_str)`: `['a', 'b']`, `[]` when empty. */
export function pythonListRepr(items: readonly string[]): string {
  return `[${items.map(pythonStrRepr).join(', ')}]`;
}
