// Messages and shared words between pipe-output.ts and its writing thread (pipe-worker.ts).
/** Messages from pipe-output.ts. */
export type PipeMessage =
  | { readonly kind: 'ring'; readonly ring: SharedArrayBuffer; readonly words: SharedArrayBuffer; readonly slotBytes: number }
  | { readonly kind: 'chunk'; readonly slot: number; readonly length: number; readonly sequence: number }
  | { readonly kind: 'end' };

/** The answers: a write failed (the main thread reports it), or everything is written. */
export type PipeAnswer = { readonly kind: 'error'; readonly code: string | undefined; readonly message: string } | { readonly kind: 'ended' };

/** Int32 index in the words: the sequence number of the last chunk written (or skipped after a failure). */
export const WRITTEN = 0;
