// Hostile closure graphs, confs and store contents through the CLI (`conf --attrs … --out …`,
// `stream --conf … --output …`): each ends in exit 1 and one `nix-strata: ` line, and no
// output (nor temporary) file is left behind. Needs `npm run build`.
import assert from 'node:assert/strict';
import { chmod, mkdir, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { execa } from 'execa';
import { assertCleanFailure, assertNothingLeft, cli, makeFixture, runCli, writeConf, type Fixture } from './fixture.ts';

const made: Fixture[] = [];
after(async () => {
  for (const fixture of made) await rm(fixture.work, { recursive: true, force: true });
});
async function fixture(options: Parameters<typeof makeFixture>[0] = {}): Promise<Fixture> {
  const value = await makeFixture(options);
  made.push(value);
  return value;
}

/** Runs `conf`, expecting a clean failure and no conf file. */
async function confFails(f: Fixture, pattern: RegExp): Promise<void> {
  const result = await runCli(['conf', '--attrs', f.attrsPath, '--out', f.confPath]);
  assertCleanFailure(result, pattern);
  await assertNothingLeft(f.work, 'conf.json');
}

/** Runs `stream --output`, expecting a clean failure and no archive. */
async function streamFails(f: Fixture, pattern: RegExp, extra: readonly string[] = []): Promise<string> {
  const result = await runCli(['stream', '--conf', f.confPath, '--output', join(f.work, 'image.tar'), ...extra]);
  const line = assertCleanFailure(result, pattern);
  await assertNothingLeft(f.work, 'image.tar');
  return line;
}

// Cases are independent (a fixture each), so a few run at once.
describe('hostile input through the CLI', { concurrency: 4 }, () => {
  test('the fixture itself streams: conf then stream --output succeed', async () => {
    const f = await fixture();
    await writeConf(f);
    const result = await runCli(['stream', '-q', '--conf', f.confPath, '--output', join(f.work, 'image.tar')]);
    assert.equal(result.exitCode, 0, String(result.stderr));
    const { stdout } = await execa('tar', ['-tf', join(f.work, 'image.tar')]);
    assert.ok(stdout.split('\n').includes('manifest.json'));
  });

  test('conf: .attrs.json that is not JSON', async () => {
    const f = await fixture();
    await writeFile(f.attrsPath, '{"spec": {');
    await confFails(f, /attrs\.json is not valid JSON/);
  });

  test('conf and stream: malformed multi-line JSON still gives exactly one line', async () => {
    const f = await fixture();
    const broken = '{\n  "version": 1,\n  "spec": {\n    "imageName": "x",,\n    "tag": null\n  }\n}\n';
    await writeFile(f.attrsPath, broken);
    await confFails(f, /attrs\.json is not valid JSON/);
    await writeFile(f.confPath, broken);
    await streamFails(f, /conf\.json is not valid JSON/);
  });

  test('conf: a closure graph that is not a list of path infos', async () => {
    const f = await fixture({ closure: () => ({ not: 'a list' }) });
    await confFails(f, /closure: expected a JSON array of path infos/);
  });

  test('conf: a graph entry with a bad field names the entry', async () => {
    const f = await fixture({ closure: (lib) => [{ path: lib, narSize: 'big', references: [] }] });
    await confFails(f, /entry 0 .*narSize/);
  });

  test('conf: a referenced path missing from the graph', async () => {
    const f = await fixture({ closure: (lib, app) => [{ path: app, narSize: 1, references: [lib] }] });
    await confFails(f, /references .*-lib, which is missing from the graph/);
  });

  // The conf only plans (it reads no store file): what is wrong inside a store path is the
  // stream's to report.
  test('stream: a fifo inside a store path', async () => {
    const f = await fixture();
    await execa('mkfifo', [join(f.lib, 'share', 'pipe')]);
    await writeConf(f);
    await streamFails(f, /share\/pipe is a FIFO/);
  });

  test('stream: a socket inside a store path', async () => {
    const f = await fixture();
    const server = createServer();
    const socketPath = join(f.lib, 'share', 'sock');
    await new Promise<void>((resolve) => server.listen(socketPath, resolve));
    try {
      await writeConf(f);
      await streamFails(f, /share\/sock is a socket/);
    } finally {
      server.close();
    }
  });

  test('stream: a character device inside a store path', async () => {
    const f = await fixture();
    await execa('mknod', [join(f.lib, 'share', 'null'), 'c', '1', '3']);
    await writeConf(f);
    await streamFails(f, /share\/null is a character device/);
  });

  test('stream (as an unprivileged user): an unreadable file in a store path', async () => {
    // We run as root, which can read anything; dropping to nobody is the honest way to get EACCES.
    const f = await fixture();
    await writeConf(f);
    await chmod(f.work, 0o755);
    await chmod(f.confPath, 0o644);
    await chmod(join(f.lib, 'share', 'data'), 0o000);
    const out = join(f.work, 'out');
    await mkdir(out);
    await execa('chown', ['nobody', out]);
    const result = await execa('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', 'node', cli, 'stream', '--conf', f.confPath, '--output', join(out, 'image.tar')], {
      reject: false, cwd: '/',
    });
    assertCleanFailure(result, /cannot read .*share\/data: .*permission denied/i);
    await assertNothingLeft(out, 'image.tar');
  });

  test('stream: a conf that is not JSON', async () => {
    const f = await fixture();
    await writeFile(f.confPath, '{"version": 1,');
    await streamFails(f, /conf .*conf\.json is not valid JSON/);
  });

  test('stream: a conf that is not there', async () => {
    const f = await fixture();
    await streamFails(f, /cannot read conf .*conf\.json/);
  });

  test('stream: a store path removed after conf', async () => {
    const f = await fixture();
    await writeConf(f);
    await rm(f.lib, { recursive: true });
    await streamFails(f, /cannot stat .*-lib/);
  });

  test('stream: a directory where a file was (customisation layer.tar)', async () => {
    const f = await fixture();
    await writeConf(f);
    await rm(join(f.customisation, 'layer.tar'));
    await mkdir(join(f.customisation, 'layer.tar'));
    await streamFails(f, /layer\.tar/);
  });

  // A store file that changes while the stream runs (between its size walk and its read) is
  // test/sources/store-paths.test.ts's: from outside, the window is too short to hit.
  for (const compressor of ['gz', 'zstd'] as const) {
    test(`stream --compressor ${compressor}: a store path that fails the stream still leaves nothing behind`, async () => {
      const f = await fixture();
      await writeConf(f);
      await execa('mkfifo', [join(f.lib, 'share', 'pipe')]);
      await streamFails(f, /share\/pipe is a FIFO/, ['--compressor', compressor]);
    });
  }
});
