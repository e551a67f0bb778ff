// Logging goes to stderr only: stdout may be carrying the image archive.

export interface Logger {
  /** A line for people, always printed. */
  info(message: string): void;
  /** Progress that is only worth showing on an interactive terminal. */
  progress(message: string): void;
}

export function stderrLogger(options: { quiet?: boolean; interactive?: boolean } = {}): Logger {
  const interactive = options.interactive ?? process.stderr.isTTY === true;
  // A progress line is rewritten in place; the next full line replaces it.
  let progressShown = false;
  return {
    info(message) {
      if (options.quiet) return;
      process.stderr.write(`${progressShown ? '\r\x1b[K' : ''}${message}\n`);
      progressShown = false;
    },
    progress(message) {
      if (options.quiet || !interactive) return;
      process.stderr.write(`\r\x1b[K${message}`);
      progressShown = true;
    },
  };
}

export const silentLogger: Logger = { info() {}, progress() {} };
