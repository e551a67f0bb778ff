// passthru.sbom with real Nix, sandbox on: for layered images (archive and stream, with and
// without a base) and buildImage (with and without a base), the SBOM has one package per store
// path in the image's own layers (read from the built image), in the layer that holds it, with
// the narHash `nix path-info --json` reports; both documents validate, and a rebuild
// (`--check`) gives the same bytes.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { buildExpression, evalJson, imagesFile, repoRoot, sandboxed } from './harness.ts';
import { cycloneDxErrors, spdxProblems } from '../sbom/validators.ts';

type Json = Record<string, any>;
const buildImageFixtures = join(repoRoot, 'test/build-image/images.nix');
const work = await mkdtemp(join(tmpdir(), 'nix-strata-e2e-sbom-'));
after(() => rm(work, { recursive: true, force: true }));

interface Case {
  /** Attribute of the fixture file. */
  readonly attr: string;
  readonly file: string;
  /** How its result is read: an archive file (any compression) or a stream executable. */
  readonly kind: 'archive' | 'stream';
  /** The fixture its fromImage is, whose layers the SBOM does not describe. */
  readonly base?: string;
}

const cases: Case[] = [
  { attr: 'layered-image', file: imagesFile, kind: 'archive' },
  { attr: 'layered-on-top-layered', file: imagesFile, kind: 'archive', base: 'layered-image' },
  { attr: 'bashNoTagStreamLayered', file: imagesFile, kind: 'stream' },
  { attr: 'standalone', file: buildImageFixtures, kind: 'archive' },
  { attr: 'on-layered', file: buildImageFixtures, kind: 'archive', base: 'layered-base' },
];

const expr = (c: Pick<Case, 'file'>, attr: string) => `(import ${c.file} { }).${JSON.stringify(attr)}`;

/** Each layer's top-level store paths, bottom to top, as the built image holds them. */
async function storePathsByLayer(image: string, kind: Case['kind'], name: string): Promise<string[][]> {
  const dir = join(work, name);
  const unpack = kind === 'stream' ? 'mkdir "$2" && "$1" | tar -xf - -C "$2"' : 'mkdir "$2" && tar -xf "$1" -C "$2"';
  await execa('bash', ['-o', 'pipefail', '-c', unpack, 'unpack', image, dir], { stdin: 'ignore' });
  const manifest = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')) as Array<{ Layers: string[] }>;
  const layers: string[][] = [];
  for (const layer of manifest[0]!.Layers) {
    const { stdout } = await execa('tar', ['-tf', join(dir, layer)], { stdin: 'ignore' });
    const paths = new Set(String(stdout).split('\n').flatMap((entry) => /^(?:\.?\/)?nix\/store\/([^/]+)\/?$/.exec(entry)?.[1] ?? []));
    layers.push([...paths].map((p) => `/nix/store/${p}`).sort());
  }
  return layers;
}

/** narHash → hex for each path, both from Nix (`nix path-info --json`, `nix hash to-base16`). */
async function narHashesFromNix(paths: readonly string[]): Promise<Map<string, string>> {
  const { stdout } = await execa('nix', ['path-info', '--json', ...paths], { stdin: 'ignore' });
  const parsed = JSON.parse(String(stdout)) as unknown;
  // Nix 2.19 changed the output from a list of infos to an object keyed by path.
  const infos = Array.isArray(parsed)
    ? (parsed as Array<{ path: string; narHash: string }>)
    : Object.entries(parsed as Record<string, { narHash: string }>).map(([path, info]) => ({ path, narHash: info.narHash }));
  const { stdout: hex } = await execa('nix', ['hash', 'to-base16', ...infos.map((info) => info.narHash)], { stdin: 'ignore' });
  const hexes = String(hex).trim().split('\n');
  return new Map(infos.map((info, i) => [info.path, hexes[i]!]));
}

test('passthru.sbom describes every store path in the image\'s own layers, with Nix\'s narHash, and validates', async () => {
  // The images and their SBOMs, in one build each per fixture file, sandboxed.
  const built = new Map<string, { image: string; sbom: string; base?: string }>();
  for (const file of [imagesFile, buildImageFixtures]) {
    const here = cases.filter((c) => c.file === file);
    const attrs = here.flatMap((c) => [`${expr(c, c.attr)}`, `${expr(c, c.attr)}.sbom`, ...(c.base ? [expr(c, c.base)] : [])]);
    const paths = (await buildExpression(`[ ${attrs.map((a) => `(${a})`).join(' ')} ]`, sandboxed)).split('\n');
    let at = 0;
    for (const c of here) {
      const image = paths[at++]!;
      const sbom = paths[at++]!;
      built.set(c.attr, { image, sbom, ...(c.base ? { base: paths[at++]! } : {}) });
    }
  }
  for (const c of cases) {
    const { image, sbom, base } = built.get(c.attr)!;
    const spdxText = await readFile(join(sbom, 'sbom.spdx.json'), 'utf8');
    const cdxText = await readFile(join(sbom, 'sbom.cdx.json'), 'utf8');
    assert.deepEqual(spdxProblems(spdxText), [], c.attr);
    assert.equal(await cycloneDxErrors(cdxText), null, c.attr);
    const spdx = JSON.parse(spdxText) as Json;
    const cdx = JSON.parse(cdxText) as Json;

    // One package per store path of the image's own layers, in the layer that holds it.
    const layers = await storePathsByLayer(image, c.kind, c.attr);
    const baseCount = base === undefined ? 0 : (await storePathsByLayer(base, 'archive', `${c.attr}-base`)).length;
    const expected = new Map(layers.flatMap((paths, position) => (position < baseCount ? [] : paths.map((p) => [p, String(position)] as const))));
    assert.ok(expected.size > 0, `${c.attr}: the image holds store paths`);
    const layerOf = new Map((cdx.components as Json[]).map((comp) => [comp['bom-ref'] as string, comp.properties.find((p: Json) => p.name === 'nix-strata:layer').value as string]));
    assert.deepEqual([...layerOf].sort(), [...expected].sort(), `${c.attr}: CycloneDX components and their layers`);
    const spdxPackages = (spdx.packages as Json[]).filter((p) => p.SPDXID !== 'SPDXRef-Image');
    assert.deepEqual(spdxPackages.map((p) => p.packageFileName).sort(), [...expected.keys()].sort(), `${c.attr}: SPDX packages`);
    for (const p of spdxPackages) assert.equal(p.annotations[0].comment, `nix-strata:layer=${expected.get(p.packageFileName)}`, p.packageFileName);

    // Checksums are Nix's narHashes.
    const fromNix = await narHashesFromNix([...expected.keys()]);
    for (const p of spdxPackages) assert.equal(p.checksums[0].checksumValue, fromNix.get(p.packageFileName), `${c.attr}: SPDX ${p.packageFileName}`);
    for (const comp of cdx.components as Json[]) assert.equal(comp.hashes[0].content, fromNix.get(comp['bom-ref']), `${c.attr}: CycloneDX ${comp['bom-ref']}`);

    // The image is named as it loads.
    const { imageName, imageTag } = await evalJson(`let i = ${expr(c, c.attr)}; in { inherit (i) imageName imageTag; }`) as { imageName: string; imageTag: string };
    assert.deepEqual([cdx.metadata.component.name, cdx.metadata.component.version], [imageName, imageTag], c.attr);
    assert.equal(spdx.name, `${imageName}:${imageTag}`, c.attr);
  }
  // Built again from scratch, the same bytes (Nix compares them).
  await buildExpression(`[ ${cases.map((c) => `(${expr(c, c.attr)}.sbom)`).filter((_, i) => cases[i]!.file === imagesFile).join(' ')} ]`, [...sandboxed, '--check']);
});

test('passthru.sbom is not an input of the image: building the image never builds its SBOM', async () => {
  const { image, sbom } = await evalJson(`let i = (import ${imagesFile} { }).layered-image; in { image = i.drvPath; sbom = i.sbom.drvPath; }`, ['--read-write-mode']) as { image: string; sbom: string };
  const { stdout } = await execa('nix-store', ['--query', '--requisites', image], { stdin: 'ignore' });
  const requisites = String(stdout).split('\n');
  assert.ok(requisites.includes(image));
  assert.ok(!requisites.includes(sbom), `${sbom} is among ${image}'s requisites`);
  assert.match(sbom, /-layered-image-sbom\.drv$/);
});
