// The builder CLI alone, without the Nix library: `conf` then `stream` over a closure that
// holds a static busybox, loaded into Docker and run (issue 2's end-to-end check).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, readFile, symlink, writeFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { pathInfo, repoRoot } from './harness.ts';
import { storePathsLayer } from '../../src/sources/store-paths.ts';
import { collect, sha256Hex } from '../tar/fixtures.ts';

const cli = join(repoRoot, 'bin/nix-strata.js');
const work = await mkdtemp(join(tmpdir(), 'strata-cli-'));
const reference = 'strata-cli-e2e:test';
after(async () => {
  await execa('docker', ['rmi', '-f', reference], { reject: false });
  await rm(work, { recursive: true, force: true });
});

test('an image streamed by the CLI from a busybox closure loads into Docker and runs', async () => {
  const { stdout: busybox } = await execa('nix-store', ['--add', '/bin/busybox']);
  const root = join(work, 'root');
  await mkdir(join(root, 'bin'), { recursive: true });
  for (const applet of ['sh', 'echo', 'cat']) await symlink(busybox, join(root, 'bin', applet));
  await writeFile(join(root, 'greeting'), 'hello from nix-strata\n');
  const customisation = join(work, 'customisation');
  await mkdir(customisation);
  await execa('node', [cli, 'tar-tree', '--root', root, '--out', customisation]);
  const baseJson = join(work, 'base.json');
  await writeFile(baseJson, JSON.stringify({ architecture: 'amd64', config: { Cmd: ['/bin/cat', '/greeting'] }, os: 'linux' }));
  const info = await pathInfo(busybox);
  const attrs = {
    spec: {
      version: 1, imageName: 'strata-cli-e2e', tag: 'test', architecture: 'amd64',
      created: '1970-01-01T00:00:01Z', mtime: '1970-01-01T00:00:01Z', uid: 0, gid: 0, uname: 'root', gname: 'root',
      maxLayers: 100, layeringStrategy: 'popularity', layeringPipeline: null, fromImage: null,
      baseJson, customisationLayer: customisation, customisationContents: null, includeStorePaths: true, storeDir: '/nix/store', givenLayers: [],
    },
    closure: [{ path: busybox, narHash: info.narHash, narSize: info.narSize, closureSize: info.narSize, references: [] }],
    outputs: { out: '/nix/store/00000000000000000000000000000000-strata-cli-e2e-conf.json' },
  };
  await writeFile(join(work, 'attrs.json'), JSON.stringify(attrs));
  const conf = join(work, 'conf.json');
  await execa('node', [cli, 'conf', '--attrs', join(work, 'attrs.json'), '--out', conf]);
  const parsed = JSON.parse(await readFile(conf, 'utf8')) as { storeLayers: Array<Record<string, unknown>> };
  // The conf only plans: no digest, no size; the content key is the narHashes' (conf/content-key.ts).
  const contentKey = `sha256:${sha256Hex(Buffer.from(`${busybox} ${info.narHash}\n`))}`;
  assert.deepEqual(parsed.storeLayers, [{ paths: [busybox], contentKey }], 'the conf only plans: no digest, no size');

  const archive = join(work, 'image.tar');
  await execa('node', [cli, 'stream', '--conf', conf, '--output', archive]);
  await execa('docker', ['load', '--input', archive]);
  const { stdout } = await execa('docker', ['run', '--rm', '--network', 'none', reference]);
  assert.equal(stdout, 'hello from nix-strata');
  const { stdout: layers } = await execa('docker', ['inspect', '--format', '{{json .RootFS.Layers}}', reference]);
  const layerTar = await collect(storePathsLayer([busybox], { uid: 0, gid: 0, uname: 'root', gname: 'root', mtime: 1 }).open());
  assert.equal((JSON.parse(layers) as string[])[0], `sha256:${sha256Hex(layerTar)}`, 'the digest the stream computed is the store layer diff_id');
});
