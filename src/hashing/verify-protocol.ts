// Layout of a layer's shared control block between the stream thread and the verifying worker
// (verify-hasher.ts, hash-worker.ts): two Int32 words, the size, then the digest.
/** Int32 index: 1 once the digest and size are written. */
export const DONE = 1;
/** Byte offset of the layer size (a Float64: layers may exceed 2^31 bytes). */
export const SIZE_OFFSET = 8;
/** Byte offset of the 32 digest bytes. */
export const DIGEST_OFFSET = 16;
/** Bytes of the control block. */
export const CONTROL_BYTES = 48;
