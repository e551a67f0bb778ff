#!/usr/bin/env node
// Runs test/**/*.test.ts with Node's test runner (TypeScript through tsx).
//   (no flag)  unit + e2e here (the host's Nix), then the e2e suite again inside the trixie root
//              (scripts/in-trixie.sh: Nix 2.26.3, sandbox on, build users), then one summary
//   --unit     only the unit tests (no Nix, no Docker, no root)
//   --e2e      only test/e2e, here (what the trixie run does inside)
// The output ends with the test runner's summary lines, summed over the runs.
import { existsSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { spawn } from 'node:child_process';

const root = new URL('..', import.meta.url).pathname.replace(/\/$/, '');
const mode = process.argv.includes('--unit') ? 'unit' : process.argv.includes('--e2e') ? 'e2e' : 'all';
const trixieRoot = process.env.NIX_STRATA_TRIXIE ?? '/var/lib/nix-strata/trixie';

function findTests(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return findTests(path);
    return entry.name.endsWith('.test.ts') ? [path] : [];
  });
}

const isE2e = (file) => file.startsWith('test/e2e/');
const files = findTests(join(root, 'test'))
  .map((file) => relative(root, file))
  .filter((file) => (mode === 'unit' ? !isE2e(file) : mode === 'e2e' ? isE2e(file) : true))
  .sort();

const counters = ['tests', 'suites', 'pass', 'fail', 'cancelled', 'skipped', 'todo', 'duration_ms'];

// Runs a command with its output passed through; returns its exit status and the summary
// numbers the spec reporter printed (`ℹ pass 12`).
function run(label, command, args) {
  console.log(`\n# ${label}`);
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
    const totals = {};
    let pending = '';
    child.stdout.on('data', (chunk) => {
      process.stdout.write(chunk);
      const lines = (pending + chunk.toString()).split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) {
        const match = /^ℹ (\w+) ([\d.]+)$/.exec(line);
        if (match && counters.includes(match[1])) totals[match[1]] = Number(match[2]);
      }
    });
    child.on('close', (code) => resolve({ label, code: code ?? 1, totals }));
  });
}

const testArgs = ['--import', 'tsx', '--test', '--test-reporter=spec', ...files];
const runs = [];
runs.push(await run(mode === 'all' ? 'host: unit + e2e' : `host: ${mode}`, process.execPath, testArgs));

if (mode === 'all') {
  if (!existsSync(join(trixieRoot, '.nix-strata-complete'))) {
    console.error(`run-tests: no trixie root at ${trixieRoot}; run scripts/setup-host.sh (it makes one) or set NIX_STRATA_TRIXIE`);
    runs.push({ label: 'trixie: e2e', code: 1, totals: {} });
  } else {
    runs.push(await run('trixie (Nix 2.26, sandbox, build users): e2e', 'bash', [join(root, 'scripts/in-trixie.sh'), 'node', 'scripts/run-tests.js', '--e2e']));
  }
}

if (runs.length > 1) {
  const sum = Object.fromEntries(counters.map((name) => [name, runs.reduce((n, r) => n + (r.totals[name] ?? 0), 0)]));
  console.log(`\n# all runs: ${runs.map((r) => `${r.label} (${r.totals.pass ?? 0} passed, ${r.totals.fail ?? 0} failed, exit ${r.code})`).join('; ')}`);
  console.log(`${sum.pass} passed, ${sum.fail} failed`);
  for (const name of counters) console.log(`ℹ ${name} ${name === 'duration_ms' ? sum[name].toFixed(3) : sum[name]}`);
}
process.exitCode = runs.every((r) => r.code === 0) ? 0 : 1;
