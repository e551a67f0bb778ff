// The stderr logger: progress only on a terminal, rewritten in place, cleared by the next line.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { stderrLogger } from '../../src/log.ts';

function capture(run: () => void): string {
  const write = process.stderr.write;
  let text = '';
  process.stderr.write = ((chunk: string) => {
    text += chunk;
    return true;
  }) as typeof process.stderr.write;
  try {
    run();
  } finally {
    process.stderr.write = write;
  }
  return text;
}

test('progress is silent when stderr is not a terminal', () => {
  const log = stderrLogger({ interactive: false });
  assert.equal(capture(() => { log.progress('layer 1 of 2'); log.info('Done.'); }), 'Done.\n');
});

test('on a terminal progress rewrites one line and the next info line replaces it', () => {
  const log = stderrLogger({ interactive: true });
  const text = capture(() => { log.progress('a'); log.progress('b'); log.info('Done.'); log.info('x'); });
  assert.equal(text, '\r\x1b[Ka\r\x1b[Kb\r\x1b[KDone.\nx\n');
});

test('quiet silences everything', () => {
  const log = stderrLogger({ quiet: true, interactive: true });
  assert.equal(capture(() => { log.progress('a'); log.info('b'); }), '');
});
