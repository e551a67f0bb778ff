// The SBOM as a CycloneDX 1.5 JSON BOM (https://cyclonedx.org/docs/1.5/json/). The image is
// `metadata.component` (type container); each store path is a component whose `bom-ref` is
// the path; `dependencies` gives each component's references, and the image's are the store
// paths nothing else references (what the image itself refers to).
import { contentUuid } from './identity.ts';
import type { Sbom } from './packages.ts';

/** The image component's bom-ref (store paths, the other refs, always start with `/`). */
export const IMAGE_REF = 'image';

/** Property names (CycloneDX property taxonomy: a namespace of our own). */
export const LAYER_PROPERTY = 'nix-strata:layer';
export const STORE_PATH_PROPERTY = 'nix-strata:store-path';
export const NAR_SIZE_PROPERTY = 'nix-strata:nar-size';

/** The CycloneDX 1.5 BOM's bytes (2-space JSON and a newline). */
export function writeCycloneDx(sbom: Sbom): string {
  const draft = (serial: string) => `${JSON.stringify(cycloneDxBom(sbom, serial), null, 2)}\n`;
  return draft(`urn:uuid:${contentUuid('cyclonedx', draft(''))}`);
}

function cycloneDxBom(sbom: Sbom, serialNumber: string): Record<string, unknown> {
  const { image, tool } = sbom;
  return {
    bomFormat: 'CycloneDX',
    specVersion: '1.5',
    serialNumber,
    version: 1,
    metadata: {
      timestamp: image.created,
      tools: { components: [{ type: 'application', name: tool.name, version: tool.version }] },
      component: { type: 'container', 'bom-ref': IMAGE_REF, name: image.name, version: image.tag },
    },
    components: sbom.packages.map((pkg) => ({
      type: 'library',
      'bom-ref': pkg.path,
      name: pkg.name,
      ...(pkg.version === '' ? {} : { version: pkg.version }),
      description: `Nix store path ${pkg.path}; SHA-256 is its narHash`,
      hashes: [{ alg: 'SHA-256', content: pkg.narHashHex }],
      properties: [
        { name: LAYER_PROPERTY, value: String(pkg.layer) },
        { name: NAR_SIZE_PROPERTY, value: String(pkg.narSize) },
        { name: STORE_PATH_PROPERTY, value: pkg.path },
      ],
    })),
    dependencies: [
      { ref: IMAGE_REF, dependsOn: sbom.roots },
      ...sbom.packages.map((pkg) => ({ ref: pkg.path, dependsOn: pkg.references })),
    ],
  };
}
