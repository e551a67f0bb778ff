// The reference limit of the benchmark: read every file under the given paths once and sha256
// it, in one Node process, as simply as possible (1 MiB reads into one buffer). Prints
// `{"files":…,"bytes":…}` so the benchmark can describe the closure. Plain JavaScript on
// purpose: it runs under bare `node`, with no TypeScript loader slowing its start.
import { createHash } from 'node:crypto';
import { closeSync, lstatSync, openSync, readdirSync, readSync } from 'node:fs';

const hash = createHash('sha256');
const buffer = Buffer.allocUnsafe(1 << 20);
let files = 0;
let bytes = 0;

function walk(path) {
  const stats = lstatSync(path);
  if (stats.isDirectory()) {
    for (const child of readdirSync(path)) walk(`${path}/${child}`);
  } else if (stats.isFile()) {
    const fd = openSync(path, 'r');
    try {
      let got;
      while ((got = readSync(fd, buffer, 0, buffer.length, null)) > 0) {
        hash.update(buffer.subarray(0, got));
        bytes += got;
      }
    } finally {
      closeSync(fd);
    }
    files += 1;
  }
}

for (const path of process.argv.slice(2)) walk(path);
hash.digest('hex');
process.stdout.write(`${JSON.stringify({ files, bytes })}\n`);
