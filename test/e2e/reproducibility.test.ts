// Reproducibility through Nix (issue 5): `nix-build --check` rebuilds give the same bytes,
// the working directory does not matter, reordering `contents` keeps every layer, and
// `created = "now"` changes only the config.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { buildExpression, repoRoot } from './harness.ts';

const cli = join(repoRoot, 'bin/nix-strata.js');
const host = `(import ${repoRoot}/test/nix/host.nix { })`;
const work = await mkdtemp(join(tmpdir(), 'strata-repro-'));
after(() => rm(work, { recursive: true, force: true }));

/** An image expression over the stand-ins; `extra` is spliced into the argument set. */
function image(extra: string): string {
  return `let h = ${host}; s = h.standIns; in h.buildLayeredImage { name = "nix-strata-e2e-repro"; compressor = "none"; ${extra} }`;
}

/** Layer diff_ids and image ID of an archive, read by the builder's own inspect. */
async function identities(archive: string): Promise<{ layers: string[]; id: string }> {
  const { stdout } = await execa('node', [cli, 'inspect', archive]);
  const text = String(stdout);
  const id = /^id:\s+(sha256:[0-9a-f]{64})$/m.exec(text)?.[1];
  const layers = [...text.matchAll(/diff_id (sha256:[0-9a-f]{64})/g)].map((m) => m[1]!);
  assert.ok(id && layers.length > 0, `unexpected inspect output:\n${text}`);
  return { layers, id };
}

// `nix-build --check` retried only for Nix's spurious signal-9 kill (NixOS/nix#2176).
async function checkRebuild(expression: string): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    const result = await execa('nix-build', ['--no-out-link', '--check', '-E', expression], { cwd: repoRoot, reject: false, stdin: 'ignore' });
    if (result.exitCode === 0) return;
    if (attempt < 3 && String(result.stderr).includes('failed due to signal 9 (Killed)')) continue;
    assert.fail(`nix-build --check failed:\n${String(result.stderr).slice(-3000)}`);
  }
}

test('nix-build --check rebuilds the conf, the archive (none and gz) and the stream bit for bit', async () => {
  const base = image('contents = [ s.hello s.busybox ]; config.Cmd = [ "hello" ];');
  await buildExpression(`(${base}).stream.conf`);
  await checkRebuild(`(${base}).stream.conf`);
  await buildExpression(base);
  await checkRebuild(base);
  const gz = `(${base}).override { compressor = "gz"; }`;
  await buildExpression(gz);
  await checkRebuild(gz);
});

test('building from another working directory gives the same store path', async () => {
  const expression = image('contents = [ s.hello ];');
  const here = await buildExpression(expression);
  const { stdout } = await execa('nix-build', ['--no-out-link', '-E', expression], { cwd: work, stdin: 'ignore' });
  assert.equal(String(stdout).trim(), here);
});

test('reordering contents (no overlapping files) keeps every layer identical', async () => {
  const [ab, ba] = await Promise.all([
    buildExpression(image('contents = [ s.hello s.app-a ];')),
    buildExpression(image('contents = [ s.app-a s.hello ];')),
  ]);
  const [first, second] = await Promise.all([identities(ab), identities(ba)]);
  // The customisation layer's bytes are the same too; only its store path, named in the
  // config's history, follows the argument order (as in nixpkgs), so the image ID may differ.
  assert.deepEqual(first.layers, second.layers);
});

test('created = "now" changes the config but no layer', async () => {
  const stream = await buildExpression(`(${image('contents = [ s.hello ]; created = "now";')}).stream`);
  const archives = [join(work, 'now-1.tar'), join(work, 'now-2.tar')];
  for (const archive of archives) {
    await execa('bash', ['-c', '"$1" > "$2"', 'stream', stream, archive], { stdin: 'ignore' });
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  const [first, second] = await Promise.all(archives.map(identities));
  assert.deepEqual(first!.layers, second!.layers);
  assert.notEqual(first!.id, second!.id);
});
