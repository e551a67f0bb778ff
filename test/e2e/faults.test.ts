// Faults around a running `nix-strata stream`: the reader goes away (`| head -c 1`, a killed
// `docker load`), the disk fills up (a 2 MiB tmpfs), SIGINT/SIGTERM arrive mid-write. Each
// ends with a short message and no stack trace, and no partial file is left. Needs
// `npm run build`, root (mount) and dockerd.
import assert from 'node:assert/strict';
import { access, mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { execa } from 'execa';
import { assertCleanFailure, assertNothingLeft, cli, makeFixture, writeConf, type Fixture } from '../faults/fixture.ts';

let small: Fixture; // 64 KiB of data
let large: Fixture; // 4 MiB of incompressible data: more than the tmpfs holds, compressed or not
let huge: Fixture; // 1 GiB sparse file: the stream (one pass, hashing as it writes) takes a while
before(async () => {
  [small, large, huge] = await Promise.all([
    makeFixture(),
    makeFixture({ dataSize: 4 << 20 }),
    makeFixture({ dataSize: 1 << 30, sparse: true }),
  ]);
  await Promise.all([writeConf(small), writeConf(large), writeConf(huge)]);
});
after(async () => {
  for (const f of [small, large, huge]) if (f) await rm(f.work, { recursive: true, force: true });
});

/** Runs a bash script; gives its stdout and the stream's exit code and stderr (written to files). */
async function shell(f: Fixture, script: string): Promise<{ exitCode: number; stderr: string; stdout: string }> {
  const { stdout } = await execa('bash', ['-c', script], {
    env: { CLI: cli, CONF: f.confPath, ERR: join(f.work, 'err'), RC: join(f.work, 'rc') },
    timeout: 60_000,
  });
  return {
    stdout,
    exitCode: Number((await readFile(join(f.work, 'rc'), 'utf8')).trim()),
    stderr: await readFile(join(f.work, 'err'), 'utf8'),
  };
}

test('`stream | head -c 1`: exit 1, one line saying the reader went away, no EPIPE spew', async () => {
  for (const compressor of ['none', 'gz']) {
    const result = await shell(large, `node "$CLI" stream -q --compressor ${compressor} --conf "$CONF" 2>"$ERR" | head -c 1 | wc -c; echo "\${PIPESTATUS[0]}" >"$RC"`);
    assert.equal(result.stdout.trim(), '1');
    assertCleanFailure(result, /the reader of the image stream went away/);
  }
});

test('a killed `docker load`: the stream exits 1 with one short line', async () => {
  // docker load runs in the background of the right-hand side so its pid can be killed.
  const script = `
    PIDF="$(dirname "$ERR")/docker-pid"
    rm -f "$PIDF"
    { node "$CLI" stream --conf "$CONF" 2>"$ERR"; echo $? >"$RC"; } | { docker load >/dev/null 2>&1 & echo $! >"$PIDF"; wait; } &
    pipeline=$!
    for i in $(seq 1 200); do grep -q 'Creating layer' "$ERR" 2>/dev/null && [ -s "$PIDF" ] && break; sleep 0.05; done
    kill -9 "$(cat "$PIDF")"
    wait $pipeline
  `;
  const result = await shell(huge, script);
  assertCleanFailure(result, /the reader of the image stream went away/);
});

test('disk full (2 MiB tmpfs): "no space left", exit 1, the partial file removed (none, gz)', async () => {
  const mountPoint = join(large.work, 'small-disk');
  await mkdir(mountPoint);
  const mounted = await execa('mount', ['-t', 'tmpfs', '-o', 'size=2m', 'tmpfs', mountPoint], { reject: false });
  assert.equal(mounted.exitCode, 0, `cannot mount a tmpfs here (needs root): ${mounted.stderr}`);
  try {
    for (const compressor of ['none', 'gz', 'zstd']) {
      const result = await execa('node', [cli, 'stream', '-q', '--conf', large.confPath, '--output', join(mountPoint, 'image.tar'), '--compressor', compressor], { reject: false, timeout: 60_000 });
      assertCleanFailure(result, /no space left on the device while writing .*image\.tar/);
      await assertNothingLeft(mountPoint, 'image.tar');
      assert.deepEqual(await readdir(mountPoint), []);
    }
  } finally {
    await execa('umount', [mountPoint]);
  }
});

test('export on a full disk (2 MiB tmpfs) as output or as $TMPDIR: one line, no partial output, no spill directory, run after run', async () => {
  const image = join(large.work, 'export-image.tar');
  const streamed = await execa('node', [cli, 'stream', '-q', '--conf', large.confPath, '--output', image], { reject: false });
  assert.equal(streamed.exitCode, 0, String(streamed.stderr));
  const mountPoint = join(large.work, 'small-disk-export');
  const roomyTmp = join(large.work, 'roomy-tmp');
  await Promise.all([mkdir(mountPoint), mkdir(roomyTmp)]);
  await execa('mount', ['-t', 'tmpfs', '-o', 'size=2m', 'tmpfs', mountPoint]);
  try {
    for (let run = 0; run < 2; run++) {
      const fullOutput = await execa('node', [cli, 'export', '--quiet', image, '--output', join(mountPoint, 'rootfs.tar')], { reject: false, timeout: 60_000, env: { TMPDIR: roomyTmp } });
      assertCleanFailure(fullOutput, /no space left on the device while writing .*small-disk-export\/rootfs\.tar \(ENOSPC\)/);
      assert.deepEqual(await readdir(mountPoint), [], 'no partial output');
      assert.deepEqual(await readdir(roomyTmp), [], 'no spill directory');
      const fullTmp = await execa('node', [cli, 'export', '--quiet', image, '--output', join(large.work, 'rootfs.tar')], { reject: false, timeout: 60_000, env: { TMPDIR: mountPoint } });
      assertCleanFailure(fullTmp, /no space left on the device while writing a temporary file in .*small-disk-export\/nix-strata-export-\w+ \(TMPDIR\)/);
      assert.deepEqual(await readdir(mountPoint), [], 'no spill directory');
      await assertNothingLeft(large.work, 'rootfs.tar');
    }
  } finally {
    await execa('umount', [mountPoint]);
  }
});

test('conf --out on a full disk or into a missing directory: one line, no conf and no .partial left', async () => {
  const mountPoint = join(small.work, 'full-disk');
  await mkdir(mountPoint);
  await execa('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', mountPoint]);
  try {
    await execa('bash', ['-c', `head -c 1048576 /dev/zero > "${mountPoint}/fill" 2>/dev/null || true`]);
    const result = await execa('node', [cli, 'conf', '--attrs', small.attrsPath, '--out', join(mountPoint, 'conf.json')], { reject: false });
    assertCleanFailure(result, /no space left on the device while writing .*full-disk\/conf\.json/);
    assert.deepEqual(await readdir(mountPoint), ['fill']);
  } finally {
    await execa('umount', [mountPoint]);
  }
  const missing = await execa('node', [cli, 'conf', '--attrs', small.attrsPath, '--out', join(small.work, 'no-such-dir', 'conf.json')], { reject: false });
  assertCleanFailure(missing, /cannot write .*no-such-dir\/conf\.json: ENOENT/);
  const stream = await execa('node', [cli, 'stream', '-q', '--conf', small.confPath, '--output', join(small.work, 'no-such-dir', 'image.tar')], { reject: false });
  assertCleanFailure(stream, /cannot write .*ENOENT/);
});

for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143]] as const) {
  for (const compressor of ['none', 'gz']) {
    test(`${signal} during stream --output (${compressor}): exit ${code}, temporary file removed`, async () => {
      const outDir = join(huge.work, `out-${signal}-${compressor}`);
      await mkdir(outDir);
      const child = execa('node', [cli, 'stream', '-q', '--conf', huge.confPath, '--output', join(outDir, 'image.tar'), '--compressor', compressor], { reject: false, timeout: 60_000 });
      // Wait until the temporary file exists: the stream is then writing the 1 GiB layer.
      for (let i = 0; i < 200 && (await readdir(outDir)).length === 0; i++) await sleep(10);
      assert.equal((await readdir(outDir)).length, 1, 'the temporary file appeared');
      child.kill(signal);
      const result = await child;
      assert.equal(result.exitCode, code, `exit code; stderr: ${result.stderr}`);
      assert.match(String(result.stderr), new RegExp(`^nix-strata: interrupted by ${signal}; partial output removed\\n?$`));
      await assertNothingLeft(outDir, 'image.tar');
      await assert.rejects(access(join(outDir, 'image.tar')));
    });
  }
}
