// Worker thread of pipe-output.ts: writes the ring's slots, in order, to its own blocking
// descriptor of the stdout pipe.
import { closeSync, constants, openSync, writeSync } from 'node:fs';
import { parentPort } from 'node:worker_threads';
import { WRITTEN, type PipeAnswer, type PipeMessage } from './pipe-protocol.ts';


const port = parentPort;
if (port === null) throw new Error('pipe-worker.ts runs only as a worker thread (see pipe-output.ts)');
let ring: { bytes: SharedArrayBuffer; words: Int32Array; slotBytes: number } | undefined;
// Opened again through /proc: a descriptor of our own, blocking, whatever the main thread's
// stdout handle did to fd 1's flags (libuv makes it non-blocking).
const fd = openSync('/proc/self/fd/1', constants.O_WRONLY);
let failed = false;

port.on('message', (message: PipeMessage) => {
  if (message.kind === 'ring') {
    ring = { bytes: message.ring, words: new Int32Array(message.words), slotBytes: message.slotBytes };
    return;
  }
  if (message.kind === 'end') {
    closeSync(fd);
    port.postMessage({ kind: 'ended' } satisfies PipeAnswer);
    return;
  }
  const { bytes, words, slotBytes } = ring!;
  if (!failed) {
    const view = new Uint8Array(bytes, message.slot * slotBytes, message.length);
    try {
      for (let done = 0; done < view.length;) done += writeSync(fd, view, done);
    } catch (error) {
      failed = true;
      const { code, message: text } = error as NodeJS.ErrnoException;
      port.postMessage({ kind: 'error', code, message: text } satisfies PipeAnswer);
    }
  }
  Atomics.store(words, WRITTEN, message.sequence);
  Atomics.notify(words, WRITTEN);
});
