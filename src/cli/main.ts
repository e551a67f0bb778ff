// Top level of the CLI: builds the program, runs it, and turns errors into exit codes.
// User mistakes print one line; anything else is a bug and prints its stack.
import { isUserError } from '../errors.ts';
import { createProgram } from './program.ts';

export async function main(argv: readonly string[]): Promise<void> {
  try {
    await createProgram().parseAsync([...argv]);
  } catch (error) {
    process.exitCode = reportError(error);
  }
}

function reportError(error: unknown): number {
  if (isUserError(error)) {
    // One line whatever the message holds (a quoted input may contain newlines or other
    // control characters): they are written as JSON escapes.
    process.stderr.write(`nix-strata: ${error.message.replace(/[\u0000-\u001f\u007f]/g, (c) => JSON.stringify(c).slice(1, -1))}\n`);
    return 1;
  }
  if (isCommanderExit(error)) return error.exitCode;
  process.stderr.write(`nix-strata: internal error (please report): ${error instanceof Error ? error.stack : String(error)}\n`);
  return 70;
}

function isCommanderExit(error: unknown): error is { exitCode: number } {
  return typeof error === 'object' && error !== null && 'code' in error &&
    typeof (error as { code: unknown }).code === 'string' && (error as { code: string }).code.startsWith('commander.');
}
