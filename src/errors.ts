// Errors the CLI reports as one line without a stack trace: the user can fix them.
// Anything else reaching the top level is a bug and is printed with its stack.

/** A mistake in the input (arguments, spec, image, store contents), explained for the user. */
export class UserError extends Error {
  override readonly name = 'UserError';
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

/** Whether an error is a user mistake (printed as one line) rather than a bug. */
export function isUserError(error: unknown): error is UserError {
  return error instanceof UserError;
}
