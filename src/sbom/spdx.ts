// The SBOM as an SPDX 2.3 JSON document (https://spdx.github.io/spdx-spec/v2.3/). Clauses:
// §6 document creation information, §7 packages, §11 relationships, §12 annotations.
// The image is one package (primaryPackagePurpose CONTAINER) that the document DESCRIBES and
// that CONTAINS every store path's package; a store path DEPENDS_ON each path it references.
import { contentUuid } from './identity.ts';
import type { Sbom, SbomPackage } from './packages.ts';

/** `SPDXRef-` + letters, digits, `.` and `-` (§7.2): the hash part alone is unique in a store. */
export function spdxIdOf(pkg: SbomPackage): string {
  return `SPDXRef-StorePath-${pkg.hash}`;
}

const IMAGE_ID = 'SPDXRef-Image';

/** The annotation comment naming the layer a package is in (§12.5 annotation comment). */
export function layerAnnotation(layer: number): string {
  return `nix-strata:layer=${layer}`;
}

/** The SPDX 2.3 document's bytes (2-space JSON and a newline). */
export function writeSpdx(sbom: Sbom): string {
  const draft = (namespace: string) => `${JSON.stringify(spdxDocument(sbom, namespace), null, 2)}\n`;
  return draft(`urn:uuid:${contentUuid('spdx', draft(''))}`);
}

function spdxDocument(sbom: Sbom, namespace: string): Record<string, unknown> {
  const { image, tool } = sbom;
  const byPath = new Map(sbom.packages.map((pkg) => [pkg.path, pkg]));
  const idOfPath = (path: string): string => {
    const pkg = byPath.get(path);
    if (pkg === undefined) throw new Error(`writeSpdx: reference ${path} is not a package of the SBOM`);
    return spdxIdOf(pkg);
  };
  const creator = `Tool: ${tool.name}-${tool.version}`;
  return {
    spdxVersion: 'SPDX-2.3',
    dataLicense: 'CC0-1.0',
    SPDXID: 'SPDXRef-DOCUMENT',
    name: `${image.name}:${image.tag}`,
    documentNamespace: namespace,
    creationInfo: { created: image.created, creators: [creator] },
    packages: [
      {
        name: image.name,
        SPDXID: IMAGE_ID,
        versionInfo: image.tag,
        downloadLocation: 'NOASSERTION',
        filesAnalyzed: false,
        primaryPackagePurpose: 'CONTAINER',
        comment: 'The container image; its store paths are the packages it CONTAINS.',
      },
      ...sbom.packages.map((pkg) => ({
        name: pkg.name,
        SPDXID: spdxIdOf(pkg),
        ...(pkg.version === '' ? {} : { versionInfo: pkg.version }),
        packageFileName: pkg.path,
        downloadLocation: 'NOASSERTION',
        // Nothing of the path's files was read (§7.8): no verification code is owed.
        filesAnalyzed: false,
        checksums: [{ algorithm: 'SHA256', checksumValue: pkg.narHashHex }],
        licenseConcluded: 'NOASSERTION',
        licenseDeclared: 'NOASSERTION',
        copyrightText: 'NOASSERTION',
        comment: `Nix store path ${pkg.path}; SHA256 is its narHash (the SHA-256 of its NAR serialisation, ${pkg.narSize} bytes).`,
        annotations: [{ annotationDate: image.created, annotationType: 'OTHER', annotator: creator, comment: layerAnnotation(pkg.layer) }],
      })),
    ],
    relationships: [
      { spdxElementId: 'SPDXRef-DOCUMENT', relationshipType: 'DESCRIBES', relatedSpdxElement: IMAGE_ID },
      ...sbom.packages.map((pkg) => ({ spdxElementId: IMAGE_ID, relationshipType: 'CONTAINS', relatedSpdxElement: spdxIdOf(pkg) })),
      ...sbom.packages.flatMap((pkg) => pkg.references.map((ref) => ({
        spdxElementId: spdxIdOf(pkg),
        relationshipType: 'DEPENDS_ON',
        relatedSpdxElement: idOfPath(ref),
      }))),
    ],
  };
}
