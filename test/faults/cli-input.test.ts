// Hostile closure graphs, confs and store contents through the CLI (`conf --attrs … --out …`,
// `stream --conf … --output …`): each ends in exit 1 and one `nix-strata: ` line, and no
// output (nor temporary) file is left behind. Needs `npm run build`.
import assert from 'node:assert/strict';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, describe, test } from 'node:test';
import { execa } from 'execa';
import { assertCleanFailure, assertNothingLeft, makeFixture, runCli, writeConf, type Fixture } from './fixture.ts';
import { layeredArchive } from '../support/base-archive.ts';

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

  test('stream --format: docker-archive is the default; an unknown format is one line listing the known ones', async () => {
    const f = await fixture();
    await writeConf(f);
    const explicit = await runCli(['stream', '-q', '--conf', f.confPath, '--format', 'docker-archive', '--output', join(f.work, 'explicit.tar')]);
    assert.equal(explicit.exitCode, 0, String(explicit.stderr));
    const byDefault = await runCli(['stream', '-q', '--conf', f.confPath, '--output', join(f.work, 'default.tar')]);
    assert.equal(byDefault.exitCode, 0, String(byDefault.stderr));
    assert.ok((await readFile(join(f.work, 'explicit.tar'))).equals(await readFile(join(f.work, 'default.tar'))));
    await streamFails(f, /--format "oci-layout": unknown output format; known: docker-archive, oci-archive, oci$/, ['--format', 'oci-layout']);
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

  // Without a plan file the conf looks at nothing inside the store paths: what is wrong there is
  // the stream's to report (with one, the conf's walk reports it: test/steps/conf-plans.test.ts).
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

test('conf: a uid or gid beyond 2^32−2 in the spec is refused, as nix/validate.nix refuses it', async () => {
  for (const spec of [{ uid: 4294967295 }, { gid: 2 ** 40 }]) {
    const f = await fixture({ spec });
    await confFails(f, /spec\.(uid|gid): expected an integer from 0 to 4294967294, got \d+/);
  }
});

describe("Docker's 125-layer limit with a layeringPipeline (issue 14 #5)", { concurrency: 2 }, () => {
  /** `count` unrelated store paths. */
  const manyPaths = (count: number) => (lib: string) => Array.from({ length: count }, (_, i) => ({
    path: join(dirname(lib), `${String(i).padStart(32, '0')}-p${i}`), narHash: `sha256-p${i}`, narSize: i + 1, references: [],
  }));
  /** A fixture whose closure is `count` small store paths, made on disk. */
  async function manyPathsFixture(count: number, spec: Record<string, unknown>): Promise<Fixture> {
    const f = await fixture({ closure: manyPaths(count), spec });
    for (const { path } of manyPaths(count)(f.lib)) {
      await mkdir(path);
      await writeFile(join(path, 'data'), path);
    }
    return f;
  }

  test('a pipeline yielding 152 store layers fails at conf, naming the count and the limit_layers that fits', async () => {
    const f = await manyPathsFixture(152, { layeringPipeline: [['popularity_contest'], ['limit_layers', 100000]] });
    await confFails(f, /the image would have 153 layers \(0 from fromImage, 152 store layers from the layeringPipeline, 1 customisation layer\), more than Docker's limit of 125 .*; end the pipeline with \["limit_layers", 124\]$/);
  });

  test('fromImage layers count: limit_layers 124 on a 3-layer base fails; limit_layers 121 fits', async () => {
    const base = join(tmpdir(), `strata-three-layer-base-${process.pid}.tar`);
    await writeFile(base, layeredArchive(3));
    try {
      const pipeline = (n: number) => [['popularity_contest'], ['limit_layers', n]];
      const f = await manyPathsFixture(152, { fromImage: base, layeringPipeline: pipeline(124) });
      await confFails(f, /would have 128 layers \(3 from fromImage, 124 store layers from the layeringPipeline, 1 customisation layer\).*\["limit_layers", 121\]$/);
      const ok = await manyPathsFixture(152, { fromImage: base, layeringPipeline: pipeline(121) });
      const result = await runCli(['conf', '--attrs', ok.attrsPath, '--out', ok.confPath]);
      assert.equal(result.exitCode, 0, String(result.stderr));
      const conf = JSON.parse(await readFile(ok.confPath, 'utf8')) as { storeLayers: unknown[] };
      assert.equal(conf.storeLayers.length, 121);
    } finally {
      await rm(base, { force: true });
    }
  });

  test('a base of 125 layers leaves no room even without store paths', async () => {
    const base = join(tmpdir(), `strata-deep-base-${process.pid}.tar`);
    await writeFile(base, layeredArchive(125));
    try {
      const f = await fixture({ spec: { fromImage: base, includeStorePaths: false } });
      await confFails(f, /would have 126 layers \(125 from fromImage, 1 customisation layer\), more than Docker's limit of 125 .*use a base image with at most 124 layers$/);
    } finally {
      await rm(base, { force: true });
    }
  });
});

test('stream -t/--repo-tag is checked as docker load reads it, before any output: one line for an upper-case name, no tag, an empty value, a digest', async () => {
  const f = await fixture();
  await writeConf(f);
  const cases: Array<[string, RegExp]> = [
    ['App:1', /--repo-tag "App:1": bad repository component "App" .*; expected NAME:TAG with a lower-case NAME/],
    ['app', /--repo-tag "app": no tag \(docker load needs one\)/],
    ['', /--repo-tag "": empty/],
    ['app:', /--repo-tag "app:": bad tag ""/],
    [`app@sha256:${'0'.repeat(64)}`, /a digest cannot be recorded as a tag/],
  ];
  for (const [value, pattern] of cases) {
    await streamFails(f, pattern, ['-t', value]);
    await streamFails(f, pattern, [`--repo_tag=${value}`]);
  }
  const out = join(f.work, 'image.tar');
  const ok = await runCli(['stream', '-q', '--conf', f.confPath, '--output', out, '--repo-tag', 'registry.example.com:5000/team/app:1.0']);
  assert.equal(ok.exitCode, 0, String(ok.stderr));
  const { stdout } = await execa('tar', ['-xOf', out, 'manifest.json']);
  assert.deepEqual((JSON.parse(stdout) as Array<{ RepoTags: string[] }>)[0]!.RepoTags, ['registry.example.com:5000/team/app:1.0']);
});

test('build-image layer: --uid/--gid beyond 2^32−2 are refused before anything is written', async () => {
  const f = await fixture();
  for (const flag of ['--uid', '--gid']) {
    const out = join(f.work, `layer${flag}`);
    const result = await runCli(['build-image', 'layer', '--root', f.lib, '--out', out, flag, '4294967295']);
    assertCleanFailure(result, new RegExp(`${flag} "4294967295" is not an integer from 0 to 4294967294`));
    await assertNothingLeft(f.work, `layer${flag}`);
  }
});
