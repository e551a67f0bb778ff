// Logging goes to stderr only: stdout may be carrying the image archive.

export interface Logger {
  /** A line for people, always printed. */
  info(message: string): void;
  /** Progress that is only worth showing on an interactive terminal. */
  progress(message: string): void;
}

export function stderrLogger(options: { quiet?: boolean } = {}): Logger {
  const interactive = process.stderr.isTTY === true;
  return {
    info(message) {
      if (!options.quiet) process.stderr.write(`${message}\n`);
    },
    progress(message) {
      if (!options.quiet && interactive) process.stderr.write(`\r\x1b[K${message}`);
    },
  };
}

export const silentLogger: Logger = { info() {}, progress() {} };
