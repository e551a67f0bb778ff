// Messages and shared words between pipe-output.ts and the thread writing the pipe (hash-worker.ts).
/**
 * Messages to the writing thread: the ring (pipe-ring.ts) and the size of each write() (see
 * hash-worker.ts), a chunk of it to write, the end.
 */
export type PipeMessage =
  | { readonly kind: 'pipe-ring'; readonly ring: SharedArrayBuffer; readonly words: SharedArrayBuffer; readonly writeBytes: number }
  /** Write `length` bytes at byte `offset` of the ring, then free `slot`. */
  | { readonly kind: 'pipe-chunk'; readonly slot: number; readonly offset: number; readonly length: number }
  | { readonly kind: 'pipe-end' };

/** The answers: a write failed (the main thread reports it), or everything is written. */
export type PipeAnswer = { readonly kind: 'pipe-error'; readonly code: string | undefined; readonly message: string } | { readonly kind: 'pipe-ended' };

/** Int32 index in the ring's words of the count of slots the writer has freed (it notifies there). */
export const FREED = 0;
/** Int32 index in the ring's words of `slot`'s state: 1 while taken, 0 when free. */
export const slotWord = (slot: number): number => 1 + slot;
