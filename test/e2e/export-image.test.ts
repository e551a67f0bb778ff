// End to end: exportImage without a VM (issue 6). A layered image and a runAsRoot buildImage
// image are flattened by Nix (test/build-image/images.nix) into one root filesystem tar each,
// which `docker import` turns into an image that runs; whiteouts are applied and owners kept.
import assert from 'node:assert/strict';
import { basename, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { execa } from 'execa';
import { buildExpression, repoRoot } from './harness.ts';

const fixtures = join(repoRoot, 'test/build-image/images.nix');
const imported: string[] = [];
let layered: string;
let runAsRoot: string;

before(async () => {
  [layered, runAsRoot] = (await buildExpression(`with import ${fixtures} { }; [ exported-layered exported-run-as-root ]`)).split('\n') as [string, string];
});
after(async () => {
  if (imported.length > 0) await execa('docker', ['rmi', '--force', ...imported], { reject: false });
});

async function importTar(path: string, reference: string): Promise<string> {
  await execa('docker', ['import', path, reference], { stdin: 'ignore' });
  imported.push(reference);
  return reference;
}

async function listing(path: string): Promise<string[]> {
  const { stdout } = await execa('tar', ['--numeric-owner', '-tvf', path]);
  return stdout.split('\n');
}

describe('exportImage', () => {
  it('flattens a layered image into a tar that docker import runs', async () => {
    assert.equal(basename(layered).slice(33), 'bi-exported-layered.tar');
    const image = await importTar(layered, 'nix-strata-e2e/bi-exported-layered:latest');
    const { stdout } = await execa('docker', ['run', '--rm', '--network', 'none', image, '/bin/hello'], { stdin: 'ignore' });
    assert.equal(stdout.trim(), 'Hello, world!');
    const { stdout: motd } = await execa('docker', ['run', '--rm', '--network', 'none', image, '/bin/cat', '/etc/motd'], { stdin: 'ignore' });
    assert.equal(motd.trim(), 'base');
  });

  it('applies whiteouts and keeps runAsRoot\'s owners when flattening a buildImage archive', async () => {
    // By default named after the image (a .tar.gz name), but the bytes are a plain tar.
    assert.match(basename(runAsRoot), /-docker-image-bi-run-as-root\.tar\.gz$/);
    const lines = await listing(runAsRoot);
    assert.ok(!lines.some((line) => line.includes('.wh.')), 'no whiteout files in the flattened tree');
    assert.ok(!lines.some((line) => / etc\/doomed$| var\/lib\/gone\/?$/.test(line)), 'deleted paths are absent');
    assert.ok(lines.some((line) => /^drwx------ 1000\/1000 .* home\/alice\/$/.test(line)), lines.filter((l) => l.includes('home')).join('\n'));
    const image = await importTar(runAsRoot, 'nix-strata-e2e/bi-exported-run-as-root:latest');
    const { stdout } = await execa('docker', ['run', '--rm', '--network', 'none', image, '/bin/stat', '-c', '%u %U', '/home/alice'], { stdin: 'ignore' });
    assert.equal(stdout.trim(), '1000 alice');
  });
});
