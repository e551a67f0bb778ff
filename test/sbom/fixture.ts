// A small image for the SBOM tests: app-1.0 → lib-2.3 → glibc-2.38-27, app → data (no version),
// with narHashes in both of Nix's spellings (base32 and SRI).
import { createClosureGraph, type ClosureGraph } from '../../src/closure/graph.ts';
import { createSbom, sbomPackages, type Sbom, type SbomLayer } from '../../src/sbom/packages.ts';

export const path = (hash: string, name: string): string => `/nix/store/${hash.repeat(32).slice(0, 32)}-${name}`;
export const app = path('a', 'app-1.0');
export const lib = path('b', 'lib-2.3');
export const glibc = path('c', 'glibc-2.38-27');
export const data = path('d', 'app-data');
export const conf = path('f', 'img-conf.json');

/** The hex each node's narHash stands for (the vectors of nar-hash.test.ts). */
export const hexOf: Record<string, string> = {
  [app]: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
  [lib]: '0fffb264d7b42acb0976db73db93da843c41d7d60886e65dc4cd29c620309807',
  [glibc]: '0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20',
  [data]: 'ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff',
};

/** exportReferencesGraph's JSON for the image's conf (which references everything, and itself). */
export const graphJson = [
  { path: app, narHash: 'sha256:0mdqa9w1p6cmli6976v4wi0sw9r4p5prkj7lzfd1877wk11c9c73', narSize: 100, references: [app, data, lib] },
  { path: lib, narHash: 'sha256-D/+yZNe0KssJdttz25PahDxB19YIhuZdxM0pxiAwmAc=', narSize: 200, references: [glibc] },
  { path: glibc, narHash: 'sha256:080z3qfiq6qs34c1f5hm2h9i448h1w70s30b184hh1q60l2060h1', narSize: 300, references: [] },
  { path: data, narHash: 'sha256:1zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz', narSize: 400, references: [] },
  { path: conf, narHash: 'sha256:0000000000000000000000000000000000000000000000000000', narSize: 500, references: [app, data, glibc, lib] },
];

export const graph: ClosureGraph = createClosureGraph(graphJson, { source: 'fixture' });

/** Two store layers above a base of 2: glibc alone, then the rest. */
export const layers: SbomLayer[] = [{ position: 2, paths: [glibc] }, { position: 3, paths: [app, lib, data] }];

export function fixtureSbom(created = '2024-05-06T07:08:09Z'): Sbom {
  return createSbom({ name: 'registry.example.com/team/app', tag: 'v1', created }, { name: 'nix-strata', version: '9.9.9' }, sbomPackages(graph, layers, 'fixture'));
}
