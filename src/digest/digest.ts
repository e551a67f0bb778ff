// Content digests: the `sha256:<64 hex>` strings Docker and OCI use as identities.
import { createHash, type Hash } from 'node:crypto';
import { Transform, type Readable, type TransformCallback } from 'node:stream';
import { UserError } from '../errors.ts';

/** A `sha256:<64 lower-case hex>` string. */
export type Digest = `sha256:${string}` & { readonly __brand: 'Digest' };

const DIGEST_PATTERN = /^sha256:[0-9a-f]{64}$/;

/** Checks a digest read from outside (a config, a cache, a CLI flag); `where` names the source. */
export function parseDigest(value: unknown, where: string): Digest {
  if (typeof value !== 'string' || !DIGEST_PATTERN.test(value)) {
    throw new UserError('bad-digest', `${where}: expected a digest "sha256:<64 hex digits>", got ${JSON.stringify(value)}`);
  }
  return value as Digest;
}

export function digestFromHex(hex: string): Digest {
  return parseDigest(`sha256:${hex}`, 'digest');
}

export function hexOf(digest: Digest): string {
  return digest.slice('sha256:'.length);
}

export function sha256Digest(bytes: Uint8Array | string): Digest {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}` as Digest;
}

/**
 * A pass-through stream that hashes and counts what flows through it. With `check`, it fails at
 * its end with the error `check` returns for the final digest and size (a content verifier).
 */
export class DigestingStream extends Transform {
  private readonly hash: Hash = createHash('sha256');
  private count = 0;
  private result: Digest | undefined;

  constructor(private readonly check?: (digest: Digest, size: number) => Error | undefined) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.hash.update(chunk);
    this.count += chunk.length;
    callback(null, chunk);
  }

  override _flush(callback: TransformCallback): void {
    callback(this.check?.(this.digest(), this.count) ?? null);
  }

  /** Bytes seen so far. */
  get size(): number {
    return this.count;
  }

  /** The digest of everything that passed; only valid once the stream has ended. */
  digest(): Digest {
    this.result ??= `sha256:${this.hash.digest('hex')}` as Digest;
    return this.result;
  }
}

/** Reads a stream to its end and returns its digest and byte count. */
export async function digestOf(stream: Readable): Promise<{ digest: Digest; size: number }> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of stream) {
    const bytes = chunk as Buffer;
    hash.update(bytes);
    size += bytes.length;
  }
  return { digest: `sha256:${hash.digest('hex')}` as Digest, size };
}
