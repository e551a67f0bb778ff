// `annotations` (issue 12, deliverable 3) built by real Nix in the sandbox: the `oci` output's
// manifest and the pushed manifest carry them (plus org.opencontainers.image.created from a
// real `created`), the config keeps its Labels and gets no annotations; the archive and the
// tag do not change when annotations are absent. Needs `npm run build`.
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { execa } from 'execa';
import { buildExpression, evalFailure, evalJson, repoRoot, sandboxed } from './harness.ts';
import { startLocalRegistry, type LocalRegistry } from './local-registry.ts';

const hostNix = join(repoRoot, 'test/nix/host.nix');
const annotations = `annotations = { "org.opencontainers.image.source" = "https://example.org/app"; "org.opencontainers.image.revision" = "abc'def"; };`;
const layered = (extra: string) => `let n = import ${hostNix} { }; in n.streamLayeredImage { name = "nix-strata-e2e/annotated"; tag = "1"; contents = [ n.standIns.hello ]; config.Labels.team = "core"; created = "2024-05-01T10:00:00Z"; ${extra} }`;
const built = `let n = import ${hostNix} { }; in n.buildImage { name = "nix-strata-e2e/annotated-build"; tag = "1"; copyToRoot = [ n.standIns.hello ]; ${annotations} }`;

async function rawOci(layout: string, tag: string): Promise<{ annotations?: Record<string, string>; config: { digest: string } }> {
  return JSON.parse((await execa('skopeo', ['inspect', '--raw', `oci:${layout}:${tag}`])).stdout);
}

describe('annotations on image results', { timeout: 600_000 }, () => {
  let dir: string;
  let registry: LocalRegistry;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'nix-strata-e2e-annotations-'));
    registry = await startLocalRegistry(dir);
  });
  after(async () => {
    await registry?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('oci of streamLayeredImage: manifest annotations (with created), Labels only in the config; push gives the same manifest', async () => {
    const layout = await buildExpression(`(${layered(annotations)}).oci`, sandboxed);
    const manifest = await rawOci(layout, '1');
    assert.deepEqual(manifest.annotations, {
      'org.opencontainers.image.created': '2024-05-01T10:00:00+00:00',
      'org.opencontainers.image.revision': "abc'def",
      'org.opencontainers.image.source': 'https://example.org/app',
    });
    const config = JSON.parse((await execa('skopeo', ['inspect', '--config', `oci:${layout}:1`])).stdout);
    assert.deepEqual(config.config.Labels, { team: 'core' });
    assert.equal(config.annotations, undefined);

    const push = await buildExpression(`(${layered(annotations)}).push`, sandboxed);
    const destination = `${registry.address}/annotated:1`;
    const result = await execa(push, ['--tls-verify=false', destination], { env: { HOME: join(dir, 'home') } });
    assert.equal(result.stdout.trim().split('\n').at(-1), (await readFile(join(layout, 'digest'), 'utf8')).trim());
    const pushed = JSON.parse((await execa('skopeo', ['inspect', '--raw', '--tls-verify=false', `docker://${destination}`])).stdout);
    assert.deepEqual(pushed.annotations, manifest.annotations);
  });

  it('the default created gives no annotation, and annotations leave the conf, the tag and the archive alone', async () => {
    const plain = `let n = import ${hostNix} { }; in n.buildLayeredImage { name = "nix-strata-e2e/annotated-plain"; contents = [ n.standIns.hello ]; }`;
    const withAnnotations = `let n = import ${hostNix} { }; in n.buildLayeredImage { name = "nix-strata-e2e/annotated-plain"; contents = [ n.standIns.hello ]; ${annotations} }`;
    const paths = (e: string) => evalJson(`let i = ${e}; in [ i.imageTag i.drvPath i.stream.conf.drvPath ]`);
    assert.deepEqual(await paths(withAnnotations), await paths(plain));
    const layout = await buildExpression(`(${plain}).oci`, sandboxed);
    const tag = (await evalJson(`(${plain}).imageTag`)) as string;
    assert.equal((await rawOci(layout, tag)).annotations, undefined);
  });

  it('buildImage: oci carries the annotations', async () => {
    const layout = await buildExpression(`(${built}).oci`, sandboxed);
    assert.equal((await rawOci(layout, '1')).annotations?.['org.opencontainers.image.source'], 'https://example.org/app');
  });

  it('annotations must be an attribute set of strings: one line at evaluation', async () => {
    const { stderr } = await evalFailure(`(${layered('annotations = { a = 1; };')}).oci`);
    assert.match(stderr, /in docker image nix-strata-e2e\/annotated: the annotations argument must be an attribute set of strings/);
  });
});
