// Top level of the CLI: builds the program, runs it, and turns errors into exit codes.
// User mistakes print one line; anything else is a bug and prints its stack.
import { install as handleInterrupts } from '../cleanup.ts';
import { isUserError } from '../errors.ts';
import { createProgram } from './program.ts';

export async function main(argv: readonly string[]): Promise<void> {
  handleInterrupts();
  try {
    await (await createProgram(argv)).parseAsync([...argv]);
  } catch (error) {
    process.exitCode = reportError(error);
  }
}

function reportError(error: unknown): number {
  if (isUserError(error)) {
    // UserError keeps its message on one line (see printable in errors.ts).
    process.stderr.write(`nix-strata: ${error.message}\n`);
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
