// Removal of temporary files when the process is interrupted: a SIGINT or SIGTERM must not
// leave a half-written archive behind. Work registers what to undo while it is in progress.
import { rmSync } from 'node:fs';

const pending = new Set<string>();
let installed = false;

/** Removes `path` if the process is interrupted before `release` is called. */
export function removeOnInterrupt(path: string): { release(): void } {
  install();
  pending.add(path);
  return { release: () => pending.delete(path) };
}

function install(): void {
  if (installed) return;
  installed = true;
  for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143]] as const) {
    process.once(signal, () => {
      for (const path of pending) rmSync(path, { force: true, recursive: true });
      process.stderr.write(`nix-strata: interrupted by ${signal}; partial output removed\n`);
      process.exit(code);
    });
  }
}
