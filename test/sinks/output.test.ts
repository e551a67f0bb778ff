// writeOutput: the one "open the output, write, then finish or abort" of the builder's steps.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { test } from 'node:test';
import { UserError } from '../../src/errors.ts';
import { writeOutput, type Output } from '../../src/sinks/output.ts';

const dir = mkdtempSync(join(tmpdir(), 'strata-output-'));

/** An Output whose stream fails with `error` on the first write, recording what was called. */
function failingOutput(error: Error): { output: Output; calls: string[] } {
  const calls: string[] = [];
  const stream = new PassThrough();
  stream.once('data', () => stream.destroy(error));
  return {
    calls,
    output: {
      stream,
      async finish() { calls.push('finish'); },
      async abort() { calls.push('abort'); },
    },
  };
}

/** Writes like the archive writers do: a failure of the stream is reported as theirs, with the cause kept. */
async function writeLikeTheArchive(stream: NodeJS.WritableStream): Promise<void> {
  await new Promise<void>((_resolve, reject) => {
    (stream as PassThrough).once('error', (cause) => reject(new UserError('disk-full', 'no space left on the device while writing the archive (ENOSPC); free some space and retry', { cause })));
    stream.write(Buffer.from('data'));
  });
}

test('a file is written whole under its name, and the writer\'s result is returned', async () => {
  const path = join(dir, 'whole.tar');
  const result = await writeOutput({ path, compressor: 'none' }, async (stream) => {
    stream.end('bytes');
    return 42;
  });
  assert.equal(result, 42);
  assert.equal(readFileSync(path, 'utf8'), 'bytes');
});

test('a failing writer aborts the output: nothing is left under the name or beside it', async () => {
  const sub = mkdtempSync(join(dir, 'abort-'));
  const path = join(sub, 'partial.tar');
  await assert.rejects(writeOutput({ path, compressor: 'none' }, async (stream) => {
    stream.write('half');
    throw new UserError('bad-layer', 'layer 2: broken');
  }), /layer 2: broken/);
  assert.deepEqual(readdirSync(sub), []);
});

test('the output failing (disk full) is reported naming the user\'s path, not "the archive"', async () => {
  const enospc = Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
  const { output, calls } = failingOutput(enospc);
  await assert.rejects(
    writeOutput({ path: '/data/image.tar', compressor: 'none', open: () => output }, writeLikeTheArchive),
    (error: unknown) => error instanceof UserError && error.code === 'disk-full' && error.message === 'no space left on the device while writing /data/image.tar (ENOSPC); free some space and retry',
  );
  assert.deepEqual(calls, ['abort']);
});

test('to stdout (no path) and for failures that are not the output\'s, the error passes unchanged', async () => {
  const enospc = Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
  const { output } = failingOutput(enospc);
  await assert.rejects(writeOutput({ compressor: 'none', open: () => output }, writeLikeTheArchive), /while writing the archive/);
  const readError = Object.assign(new Error('EIO: i/o error, read'), { code: 'EIO' });
  const other = failingOutput(new Error('unused'));
  await assert.rejects(writeOutput({ path: '/data/image.tar', compressor: 'none', open: () => other.output }, async () => { throw readError; }), (error: unknown) => error === readError);
  assert.deepEqual(other.calls, ['abort']);
});
