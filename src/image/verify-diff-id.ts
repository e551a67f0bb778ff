// The check that a layer's bytes are what its image's config says (rootfs.diff_ids), made
// while they are copied, so a corrupt base layer fails the copy instead of the later
// `docker load`. Used by every docker-archive base layer's open() (and so by buildImage,
// which reads its base's layers through).
import { createHash } from 'node:crypto';
import { PassThrough, type Readable, Transform, type TransformCallback } from 'node:stream';
import type { Digest } from '../digest/digest.ts';
import { UserError } from '../errors.ts';
import { decompressed } from './decompress.ts';
import type { LayerCompression } from './types.ts';

/**
 * Passes a base member's bytes through unchanged and fails at the end, before the copy is
 * complete, when their uncompressed sha256 is not the config's diff_id (Docker would reject
 * the image on load; better to say which member is wrong now). Uncompressed members cost one
 * hash of bytes copied anyway; compressed ones are also decompressed alongside the copy.
 */
export function verifiedAgainstDiffId(source: Readable, compression: LayerCompression, expected: Digest, what: string): Readable {
  const hash = createHash('sha256');
  // For a compressed member, the copied bytes also feed a decompressor whose output is hashed.
  let feed: PassThrough | undefined;
  let plainDone: Promise<void> = Promise.resolve();
  if (compression !== 'none') {
    const input = new PassThrough();
    feed = input;
    plainDone = decompressed(input, what).then((plain) => new Promise<void>((resolve, reject) => {
      plain.on('data', (chunk: Buffer) => hash.update(chunk));
      plain.once('end', resolve);
      plain.once('error', reject);
    }));
    // Rejections are reported from flush; until then this keeps them from going unhandled.
    plainDone.catch(ignoreUntilFlush);
  }
  const check = new Transform({
    transform(chunk: Buffer, _encoding, callback: TransformCallback) {
      if (!feed) {
        hash.update(chunk);
        callback(null, chunk);
      } else if (feed.write(chunk)) {
        callback(null, chunk);
      } else {
        feed.once('drain', () => callback(null, chunk));
      }
    },
    flush(callback: TransformCallback) {
      feed?.end();
      plainDone.then(() => {
        const actual = `sha256:${hash.digest('hex')}`;
        if (actual === expected) return callback();
        callback(new UserError('base-diff-id-mismatch', `${what}: its content hashes to ${actual} but the base config's rootfs.diff_ids says ${expected}; the base archive is corrupt or was modified, re-export it`));
      }, (error: unknown) => {
        const reason = error instanceof Error ? error.message.split('\n')[0] : String(error);
        callback(new UserError('base-layer-corrupt', `${what}: cannot decompress it to check its diff_id ${expected} (${reason}); the base archive is corrupt, re-export it`, { cause: error }));
      });
    },
  });
  source.on('error', (error) => check.destroy(error));
  check.on('close', () => {
    source.destroy();
    // An abandoned copy must also stop the decompressor (a child process would keep us alive).
    if (feed && !feed.writableFinished) feed.destroy(new Error(`${what}: copy abandoned`));
  });
  return source.pipe(check);
}

/** Swallows a rejection that flush() reports later (or that no longer matters after an early close). */
function ignoreUntilFlush(_error: unknown): void {
  // Reported by flush() when the copy completes; irrelevant when the copy was abandoned.
}
