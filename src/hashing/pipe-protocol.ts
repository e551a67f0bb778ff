// Messages and shared words between pipe-output.ts and the thread writing the pipe (hash-worker.ts).
/** Messages to the writing thread: the ring, a slot to write, the end. */
export type PipeMessage =
  | { readonly kind: 'pipe-ring'; readonly ring: SharedArrayBuffer; readonly words: SharedArrayBuffer; readonly slotBytes: number }
  | { readonly kind: 'pipe-chunk'; readonly slot: number; readonly length: number; readonly sequence: number }
  | { readonly kind: 'pipe-end' };

/** The answers: a write failed (the main thread reports it), or everything is written. */
export type PipeAnswer = { readonly kind: 'pipe-error'; readonly code: string | undefined; readonly message: string } | { readonly kind: 'pipe-ended' };

/** Int32 index in the words: the sequence number of the last chunk written (or skipped after a failure). */
export const WRITTEN = 0;
