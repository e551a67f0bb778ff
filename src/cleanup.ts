// Removal of temporary files when the process is interrupted: SIGINT (Ctrl-C), SIGTERM
// (kill, timeouts), SIGHUP (the terminal or ssh session went away) and SIGQUIT (Ctrl-\) must
// not leave a half-written archive or a scratch directory behind. Work registers what to undo
// while it is in progress. The exit status is the shell's for death by that signal (128 + n).
import { rmSync } from 'node:fs';

// One entry per registration: two pieces of work may guard the same path, and one releasing
// it must not drop the other's guard.
const pending = new Set<{ readonly path: string }>();
let installed = false;

/** Removes `path` if the process is interrupted before `release` is called. */
export function removeOnInterrupt(path: string): { release(): void } {
  install();
  const entry = { path };
  pending.add(entry);
  return { release: () => pending.delete(entry) };
}

/**
 * Handles the signals from the start (the CLI calls it first), so that no signal landing
 * between a file's creation and its registration kills the process the default way.
 */
export function install(): void {
  if (installed) return;
  installed = true;
  for (const [signal, code] of [['SIGHUP', 129], ['SIGINT', 130], ['SIGQUIT', 131], ['SIGTERM', 143]] as const) {
    process.once(signal, () => {
      // A write still in flight may add a file while a directory is removed: retry, and exit
      // with the signal's status whatever happens.
      const removed = pending.size > 0 ? '; partial output removed' : '';
      for (const { path } of pending) {
        try {
          rmSync(path, { force: true, recursive: true, maxRetries: 5, retryDelay: 20 });
        } catch {
          // Nothing more can be done in a dying process.
        }
      }
      process.stderr.write(`nix-strata: interrupted by ${signal}${removed}\n`);
      process.exit(code);
    });
  }
}
