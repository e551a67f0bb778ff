// Errors the CLI reports as one line without a stack trace: the user can fix them.
// Anything else reaching the top level is a bug and is printed with its stack.

/** A mistake in the input (arguments, spec, image, store contents), explained for the user. */
export class UserError extends Error {
  override readonly name = 'UserError';
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(printable(message), options);
    this.code = code;
  }
}

/**
 * Control characters written as JSON escapes, so a message stays one line whatever it
 * quotes (V8's JSON errors quote the input with its newlines; store paths may hold any byte).
 */
export function printable(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f]/g, (c) => JSON.stringify(c).slice(1, -1));
}

/** Whether an error is a user mistake (printed as one line) rather than a bug. */
export function isUserError(error: unknown): error is UserError {
  return error instanceof UserError;
}

const NO_SPACE = new Set(['ENOSPC', 'EDQUOT', 'EFBIG']);

/**
 * A failure of the destination as the user should read it: disk full, or a file system error
 * (a missing or read-only directory) with the file named. EPIPE (the reader went away) and
 * anything that is not a system error are returned unchanged for the caller to describe.
 */
export function outputError(error: unknown, where: string): unknown {
  if (error instanceof UserError) return error;
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code !== 'string' || !/^E[A-Z0-9]+$/.test(code) || code === 'EPIPE') return error;
  if (NO_SPACE.has(code)) {
    return new UserError('disk-full', `no space left on the device while writing ${where} (${code}); free some space and retry`, { cause: error });
  }
  // Node's message ends with the syscall and the path it used (maybe a hidden temporary file):
  // the user named `where`, so that is the only path the line gives.
  const message = (error instanceof Error ? error.message : String(error)).replace(/, \w+ '.*$/s, '');
  return new UserError('output-failed', `cannot write ${where}: ${message}`, { cause: error });
}
