// `nix-strata load` (copyToDockerDaemon, copyToPodman): the image streamed into the real
// `docker load` and `podman load`; a missing engine or daemon is one line. Needs `npm run build` and a running dockerd, so it lives with the e2e tests (`npm run test:unit` needs no Docker).
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { after, before, test } from 'node:test';
import { execa } from 'execa';
import { assertCleanFailure, cli, makeFixture, runCli, writeConf, type Fixture } from '../faults/fixture.ts';

let fixture: Fixture;
before(async () => {
  fixture = await makeFixture({ dataSize: 1 << 20 });
  await writeConf(fixture);
});
after(async () => {
  if (fixture) await rm(fixture.work, { recursive: true, force: true });
  await execa('docker', ['rmi', 'strata-load-test:docker'], { reject: false });
  await execa('podman', ['rmi', '-f', 'localhost/strata-load-test:podman'], { reject: false });
});

async function diffIds(engine: string, reference: string): Promise<string[]> {
  const { stdout } = await execa(engine, ['image', 'inspect', '--format', '{{json .RootFS.Layers}}', reference]);
  return JSON.parse(stdout) as string[];
}

test('into docker load and podman load: the same layers in both engines', async () => {
  const docker = await runCli(['load', '-q', '--conf', fixture.confPath, '-t', 'strata-load-test:docker']);
  assert.equal(docker.exitCode, 0, String(docker.stderr));
  assert.match(Buffer.from(docker.stdout).toString(), /Loaded image: strata-load-test:docker/);
  const podman = await runCli(['load', '-q', '--engine', 'podman', '--conf', fixture.confPath, '-t', 'strata-load-test:podman']);
  assert.equal(podman.exitCode, 0, String(podman.stderr));
  const layers = await diffIds('docker', 'strata-load-test:docker');
  assert.equal(layers.length, 3);
  assert.deepEqual(await diffIds('podman', 'localhost/strata-load-test:podman'), layers);
});

test('no docker on PATH: one line naming the engine and the way out', async () => {
  const result = await execa(process.execPath, [cli, 'load', '--conf', fixture.confPath], { env: { PATH: '/nonexistent' }, extendEnv: false, reject: false });
  assertCleanFailure(result, /docker is not installed \(no docker on PATH\); install it, or use copyToPodman/);
});

test('a daemon that is not running: one line with docker\'s reason', async () => {
  const result = await runCli(['load', '-q', '--conf', fixture.confPath], { env: { DOCKER_HOST: 'unix:///nonexistent.sock' } });
  assertCleanFailure(result, /docker load failed \(exit 1\): .*Cannot connect to the Docker daemon/);
});

test('an unknown engine: one line', async () => {
  assertCleanFailure(await runCli(['load', '--engine', 'lxd', '--conf', fixture.confPath]), /unknown --engine "lxd": use one of docker, podman/);
});
