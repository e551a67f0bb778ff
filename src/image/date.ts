// `created` and `mtime` (api.md §2.2): strict RFC 3339 / plain-date parsing, normalised to the
// `YYYY-MM-DDTHH:MM:SS+00:00` form nixpkgs writes, with "now" kept until the stream runs.
import { UserError } from '../errors.ts';

/** A normalised timestamp (`1970-01-01T00:00:01+00:00`) or the literal "now". */
/** 1980-01-01T00:00:00Z: nixpkgs' SOURCE_DATE_EPOCH, the mtime of the members its builders write. */
export const SOURCE_DATE_EPOCH = 315532800;

export type NormalisedDate = string;

const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.\d+)?(?:([Zz])|([+-])(\d{2}):(\d{2}))$/;
const PLAIN_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** Normalises a user's `created`/`mtime`; `argument` names it in the error for anything else. */
export function normaliseDate(value: string, argument: string): NormalisedDate {
  if (value === 'now') return value;
  return formatUtcSeconds(parseToUnixSeconds(value, argument));
}

/** The conf's `mtime`: Unix seconds of the user's date, or "now" (resolved when the stream runs). */
export function normaliseMtime(value: string, argument: string): number | 'now' {
  return value === 'now' ? value : parseToUnixSeconds(value, argument);
}

/** Unix seconds of a date the user gave (not "now"); fractional seconds are dropped. */
export function parseToUnixSeconds(value: string, argument: string): number {
  const dateTime = DATE_TIME.exec(value);
  const plain = dateTime ? undefined : PLAIN_DATE.exec(value);
  const parts = dateTime ?? plain;
  if (!parts) throw badDate(value, argument);
  const [year, month, day, hour = 0, minute = 0, second = 0] = parts.slice(1, 7).map((part) => (part === undefined ? 0 : Number(part)));
  // setUTCFullYear, unlike Date.UTC, keeps years 0000–0099 (Date.UTC maps them to 19xx).
  const check = new Date(0);
  check.setUTCFullYear(year!, month! - 1, day!);
  check.setUTCHours(hour, minute, second);
  const millis = check.getTime();
  // Dates roll 2024-02-30 over to March: reject instead of silently moving the date. A leap
  // second (:60) has no Unix time, and Go (Docker) refuses it too.
  if (check.getUTCFullYear() !== year || check.getUTCMonth() !== month! - 1 || check.getUTCDate() !== day ||
    hour > 23 || minute > 59 || second > 59) {
    throw badDate(value, argument);
  }
  let offsetSeconds = 0;
  if (dateTime && dateTime[8] !== undefined) {
    const offsetHours = Number(dateTime[9]);
    const offsetMinutes = Number(dateTime[10]);
    if (offsetHours > 23 || offsetMinutes > 59) throw badDate(value, argument);
    offsetSeconds = (dateTime[8] === '-' ? -1 : 1) * (offsetHours * 3600 + offsetMinutes * 60);
  }
  const seconds = Math.floor(millis / 1000) - offsetSeconds;
  // The offset may carry 9999-12-31 into year 10000 (or 0000-01-01 into year -1), which no
  // RFC 3339 date-time can write.
  if (seconds < FIRST_SECOND || seconds > LAST_SECOND) throw badDate(value, argument, 'it is outside the years 0000–9999 in UTC');
  return seconds;
}

// Unix seconds of 0000-01-01T00:00:00Z and 9999-12-31T23:59:59Z.
const FIRST_SECOND = -62167219200;
const LAST_SECOND = 253402300799;


/** `YYYY-MM-DDTHH:MM:SS+00:00` for whole Unix seconds. */
export function formatUtcSeconds(seconds: number): string {
  return `${new Date(seconds * 1000).toISOString().slice(0, 19)}+00:00`;
}

/** The current instant with microseconds, from one clock reading shared by `created` and `mtime`. */
export interface Instant {
  /** Whole Unix seconds. */
  readonly seconds: number;
  /** Microseconds within that second, 0–999999. */
  readonly micros: number;
}

/** Reads the wall clock with microsecond resolution. */
export function currentInstant(): Instant {
  const micros = Math.floor((performance.timeOrigin + performance.now()) * 1000);
  return { seconds: Math.floor(micros / 1e6), micros: micros % 1e6 };
}

/** The config's `created` string for a normalised value; "now" becomes `…SS.ffffff+00:00` (fraction omitted when 0). */
export function resolveCreated(value: NormalisedDate, now: Instant): string {
  if (value !== 'now') return value;
  const base = formatUtcSeconds(now.seconds).slice(0, 19);
  return now.micros === 0 ? `${base}+00:00` : `${base}.${String(now.micros).padStart(6, '0')}+00:00`;
}

/** Archive/layer mtime in Unix seconds: a number from the conf, or "now" (whole seconds of `now`). */
export function resolveMtime(value: number | 'now', now: Instant): number {
  return value === 'now' ? now.seconds : value;
}

function badDate(value: string, argument: string, why?: string): UserError {
  return new UserError(
    'bad-date',
    `${argument}: cannot parse ${JSON.stringify(value)}${why ? ` (${why})` : ''}; use an RFC 3339 date-time ("2024-01-01T12:00:00Z", "…+02:00"), a date ("2024-01-01") or "now"`,
  );
}
