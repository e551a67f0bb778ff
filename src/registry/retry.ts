// Retrying a registry operation that failed on the way (5xx, a reset or refused connection, a
// stall) with exponential backoff, a bounded number of times. Anything the user must fix
// (auth, a bad name, a full registry, a digest mismatch) fails at once.
import { setTimeout as sleep } from 'node:timers/promises';
import { UserError } from '../errors.ts';

/** How often and how patiently to retry. */
export interface RetryPolicy {
  /** Attempts in all, the first included (at least 1). */
  readonly attempts: number;
  /** Wait before the second attempt, milliseconds; doubled for each further one. */
  readonly firstDelayMs: number;
}

/** Five attempts, waiting 0.5, 1, 2 and 4 s in between. */
export const DEFAULT_RETRY: RetryPolicy = { attempts: 5, firstDelayMs: 500 };

/** A registry's answer with a status the operation did not expect, kept so retries can judge it. */
export class RegistryStatusError extends UserError {
  readonly status: number;
  constructor(code: string, status: number, message: string) {
    super(code, message);
    this.status = status;
  }
}

const TRANSIENT_NETWORK = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'ECONNABORTED']);

/** Whether a failure may pass by itself: a 5xx (but not a full registry), 429 (too many requests), a dropped connection, a stall. */
export function isTransient(error: unknown): boolean {
  if (error instanceof RegistryStatusError) return (error.status >= 500 || error.status === 429) && error.code !== 'registry-storage-full';
  if (!(error instanceof UserError)) return false;
  if (error.code === 'registry-timeout') return true;
  const cause = (error.cause as { code?: unknown } | undefined)?.code;
  return error.code === 'registry-unreachable' && typeof cause === 'string' && TRANSIENT_NETWORK.has(cause);
}

/**
 * Runs `operation` until it succeeds, fails for good, or has used every attempt; `onRetry`
 * hears of each transient failure before the wait; `transient` judges failures (isTransient). The last error is thrown, with the
 * attempts made said at its end.
 */
export async function withRetries<T>(policy: RetryPolicy, operation: (attempt: number) => Promise<T>,
  onRetry?: (error: UserError, attempt: number, delayMs: number) => void, transient: (error: unknown) => boolean = isTransient): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await operation(attempt);
    } catch (error) {
      if (!transient(error)) throw error;
      if (attempt >= policy.attempts) {
        const failure = error as UserError;
        if (attempt === 1) throw failure;
        const again = new UserError(failure.code, `${failure.message} (after ${attempt} attempts)`, { cause: failure });
        throw again;
      }
      const delayMs = policy.firstDelayMs * 2 ** (attempt - 1);
      onRetry?.(error as UserError, attempt, delayMs);
      await sleep(delayMs);
    }
  }
}

/** Whether the connection was refused: a registry that was never reached is not there (a wrong port), not restarting. */
export function isRefused(error: unknown): boolean {
  return error instanceof UserError && error.code === 'registry-unreachable' && (error.cause as { code?: unknown } | undefined)?.code === 'ECONNREFUSED';
}
