// The sweep of issue 14 (findings 6 and 8, "Done when"): every command that writes an output,
// interrupted by SIGHUP, SIGINT, SIGQUIT or SIGTERM while it writes, exits with the signal's
// conventional status (128 + n) and leaves nothing behind: not in its own fresh $TMPDIR (a
// compressed base's uncompressed copy, export's spill directory, the customisation scratch),
// not beside the output (a hidden temporary file, a half-made --out directory). The KILL of a
// parent Nix build is test/e2e/killed-build.test.ts. Needs `npm run build`.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { execa } from 'execa';
import { startLocalRegistry, type LocalRegistry } from '../e2e/local-registry.ts';
import { cli, makeFixture, runCli, writeConf, type Fixture } from './fixture.ts';

const SIGNALS = [['SIGHUP', 129], ['SIGINT', 130], ['SIGQUIT', 131], ['SIGTERM', 143]] as const;

let base: Fixture; // a small image, gzip-compressed, as onBase's fromImage
let huge: Fixture; // 256 MiB sparse data file, conf without digests: streaming hashes for a while; pushed to a local registry
let onBase: Fixture; // the same on a gzip-compressed fromImage (copied uncompressed into $TMPDIR)
let inConf: Fixture; // conf building a customisation layer of 1,000 files
let image: string; // huge's archive, for export
let registry: LocalRegistry; // huge's image pushed, for pull
let pushed: string; // its manifest digest
let imageGz: string; // the same, gzip-compressed (export copies it uncompressed into $TMPDIR)
before(async () => {
  base = await makeFixture();
  await writeConf(base);
  const baseGz = join(base.work, 'base.tar.gz');
  assert.equal((await runCli(['stream', '-q', '--conf', base.confPath, '--output', baseGz, '--compressor', 'gz'])).exitCode, 0);
  [huge, onBase, inConf] = await Promise.all([
    makeFixture({ dataSize: 256 << 20, sparse: true }),
    makeFixture({ dataSize: 256 << 20, sparse: true, spec: { fromImage: baseGz } }),
    makeFixture({ dataSize: 1 << 30, sparse: true }),
  ]);
  await Promise.all([writeConf(huge), writeConf(onBase)]);
  image = join(huge.work, 'image.tar');
  imageGz = join(huge.work, 'image.tar.gz');
  assert.equal((await runCli(['stream', '-q', '--conf', huge.confPath, '--output', image])).exitCode, 0);
  assert.equal((await runCli(['stream', '-q', '--conf', huge.confPath, '--output', imageGz, '--compressor', 'gz'])).exitCode, 0);
  // inConf's conf builds the customisation layer from `contents` into a fresh store path: many
  // files, so merging and archiving them takes a while (the conf itself reads no store file).
  await mkdir(join(inConf.app, 'many'));
  for (let i = 0; i < 1000; i += 1000) {
    await Promise.all(Array.from({ length: 1000 }, (_, j) => writeFile(join(inConf.app, 'many', `f${i + j}`), `${i + j}\n`)));
  }
  const attrs = JSON.parse(await readFile(inConf.attrsPath, 'utf8')) as { spec: Record<string, unknown>; outputs: Record<string, string> };
  attrs.spec = { ...attrs.spec, customisationLayer: join(inConf.storeDir, `${'1'.repeat(32)}-layer`), customisationContents: [inConf.app] };
  attrs.outputs = { out: attrs.spec.customisationLayer as string, conf: join(inConf.storeDir, `${'2'.repeat(32)}-conf`) };
  await writeFile(inConf.attrsPath, JSON.stringify(attrs));
  const registryDir = join(huge.work, 'registry');
  await mkdir(registryDir);
  registry = await startLocalRegistry(registryDir);
  const digestFile = join(registryDir, 'digest');
  await execa('skopeo', ['copy', '--quiet', '--dest-tls-verify=false', '--digestfile', digestFile, `docker-archive:${image}`, `docker://${registry.address}/strata/huge:latest`]);
  pushed = (await readFile(digestFile, 'utf8')).trim();
});
after(async () => {
  await registry?.stop();
  for (const f of [base, huge, onBase, inConf]) if (f) await rm(f.work, { recursive: true, force: true });
});

/** One command: its arguments for an output directory, and what shows it is now writing. */
interface Case {
  readonly args: (out: string) => string[];
  /** True once the command is in the middle of its work (files it must remove exist). */
  readonly writing: (out: string, tmp: string) => Promise<boolean>;
}

const anyIn = async (dir: string, prefix: string): Promise<boolean> => (await readdir(dir)).some((name) => name.startsWith(prefix));
const blobsIn = async (tmp: string): Promise<boolean> => {
  const dirs = (await readdir(tmp)).filter((name) => name.startsWith('nix-strata-pull-'));
  return (await Promise.all(dirs.map(async (dir) => (await readdir(join(tmp, dir)).catch(() => [])).length > 0))).some(Boolean);
};
const layerDir = () => join(inConf.storeDir, `${'1'.repeat(32)}-layer`);

const cases: Record<string, Case> = {
  'stream --output': {
    args: (out) => ['stream', '-q', '--conf', huge.confPath, '--output', join(out, 'image.tar')],
    writing: (out) => anyIn(out, '.image.tar.partial-'),
  },
  'stream --output, compressed fromImage': {
    args: (out) => ['stream', '-q', '--conf', onBase.confPath, '--output', join(out, 'image.tar.gz'), '--compressor', 'gz'],
    writing: async (out, tmp) => await anyIn(out, '.image.tar.gz.partial-') && await anyIn(tmp, 'nix-strata-base-'),
  },
  'export --output': {
    args: (out) => ['export', '--quiet', image, '--output', join(out, 'rootfs.tar')],
    writing: async (out, tmp) => await anyIn(out, '.rootfs.tar.partial-') && await anyIn(tmp, 'nix-strata-export-'),
  },
  'export --output, compressed image': {
    args: (out) => ['export', '--quiet', imageGz, '--output', join(out, 'rootfs.tar')],
    writing: async (out, tmp) => await anyIn(out, '.rootfs.tar.partial-') && await anyIn(tmp, 'nix-strata-base-'),
  },
  'pull --output': {
    args: (out) => ['pull', '--quiet', '--no-tls-verify', `${registry.address}/strata/huge:latest`, '--digest', pushed, '--output', join(out, 'pulled.tar')],
    // Downloading and decompressing the blobs (in $TMPDIR) takes longer than writing the archive.
    writing: async (out, tmp) => await anyIn(out, '.pulled.tar.partial-') || await blobsIn(tmp),
  },
  'conf --out, building the customisation layer': {
    args: (out) => ['conf', '--attrs', inConf.attrsPath, '--out', join(out, 'conf.json')],
    // The layer is being made in its scratch directory.
    writing: async (_out, tmp) => anyIn(tmp, 'nix-strata-customisation-'),
  },
  'tar-tree --out': {
    args: (out) => ['tar-tree', '--root', huge.lib, '--out', join(out, 'layer'), '--owner', '0:0'],
    writing: async (out) => existsSync(join(out, 'layer', 'layer.tar')),
  },
};

/** Polls `condition` every 10 ms while the command runs; fails if it ended (or 60 s passed) first. */
async function until(condition: () => Promise<boolean>, running: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 6000 && running(); i++) {
    if (await condition()) return;
    await sleep(10);
  }
  assert.fail(`never saw ${what}`);
}

describe('every output command under every signal leaves nothing behind', { concurrency: 1 }, () => {
  for (const [name, c] of Object.entries(cases)) {
    for (const [signal, status] of SIGNALS) {
      test(`${name}: ${signal} → exit ${status}, $TMPDIR empty, nothing beside the output`, async () => {
        const work = await mkdtemp(join(huge.work, 'case-'));
        const tmp = join(work, 'tmp');
        const out = join(work, 'out');
        await Promise.all([mkdir(tmp), mkdir(out)]);
        const child = execa('node', [cli, ...c.args(out)], { reject: false, timeout: 120_000, stdin: 'ignore', env: { TMPDIR: tmp } });
        try {
          await until(() => c.writing(out, tmp), () => child.exitCode === null, `${name} writing`);
        } catch (error) {
          child.kill('SIGKILL');
          throw new Error(`${String(error)}; the command ended with ${String((await child).stderr)}`);
        }
        child.kill(signal);
        const result = await child;
        assert.equal(result.exitCode, status, `exit status; signal ${result.signal ?? 'none'}; stderr: ${result.stderr}`);
        assert.match(String(result.stderr), new RegExp(`nix-strata: interrupted by ${signal}; partial output removed\\n?$`));
        assert.deepEqual(await readdir(tmp), [], '$TMPDIR is empty');
        assert.deepEqual(await readdir(out), [], 'nothing beside the output');
        if (name.startsWith('conf')) assert.ok(!existsSync(layerDir()), 'the half-made customisation layer is removed');
        await rm(work, { recursive: true, force: true });
      });
    }
  }
});
