// A check of what SPDX 2.3 requires of a JSON document, for the SBOM tests. No npm package
// ships the SPDX 2.3 JSON schema (the registry has license-list and expression packages only),
// so every rule is written out here, each citing its clause of the specification
// (https://spdx.github.io/spdx-spec/v2.3/): §6 document creation information, §7 package
// information, §11 relationships, §12 annotations. Returns every problem, not just the first.

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const isSingleLine = (v: unknown): v is string => typeof v === 'string' && v !== '' && !/[\r\n]/.test(v);
// §6.9 Created: "YYYY-MM-DDThh:mm:ssZ", UTC; also the format of §12.2 annotation date.
const isSpdxDate = (v: unknown): boolean => typeof v === 'string' && /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/.test(v) && !Number.isNaN(Date.parse(v));
// §6.8 Creator and §12.1 Annotator: "Person: …", "Organization: …" or "Tool: …".
const isAgent = (v: unknown): boolean => typeof v === 'string' && /^(Person|Organization|Tool): \S/.test(v);
// §7.2 Package SPDX identifier (and §6.3): "SPDXRef-" followed by letters, digits, "." and "-".
const SPDX_ID = /^SPDXRef-[A-Za-z0-9.-]+$/;

// §7.10 Package checksum: the algorithms of Table 25; the value is lower-case hex (its length per algorithm).
const CHECKSUM_HEX_LENGTH: Record<string, number | undefined> = {
  SHA1: 40, SHA224: 56, SHA256: 64, SHA384: 96, SHA512: 128, 'SHA3-256': 64, 'SHA3-384': 96, 'SHA3-512': 128,
  'BLAKE2b-256': 64, 'BLAKE2b-384': 96, 'BLAKE2b-512': 128, BLAKE3: undefined, MD2: 32, MD4: 32, MD5: 32, MD6: undefined, ADLER32: 8,
};

// §7.24 Primary package purpose.
const PURPOSES = new Set(['APPLICATION', 'FRAMEWORK', 'LIBRARY', 'CONTAINER', 'OPERATING-SYSTEM', 'DEVICE', 'FIRMWARE', 'SOURCE', 'ARCHIVE', 'FILE', 'INSTALL', 'OTHER']);

// §11.1 Relationship: the types of Table 68.
const RELATIONSHIP_TYPES = new Set([
  'DESCRIBES', 'DESCRIBED_BY', 'CONTAINS', 'CONTAINED_BY', 'DEPENDS_ON', 'DEPENDENCY_OF', 'DEPENDENCY_MANIFEST_OF',
  'BUILD_DEPENDENCY_OF', 'DEV_DEPENDENCY_OF', 'OPTIONAL_DEPENDENCY_OF', 'PROVIDED_DEPENDENCY_OF', 'TEST_DEPENDENCY_OF',
  'RUNTIME_DEPENDENCY_OF', 'EXAMPLE_OF', 'GENERATES', 'GENERATED_FROM', 'ANCESTOR_OF', 'DESCENDANT_OF', 'VARIANT_OF',
  'DISTRIBUTION_ARTIFACT', 'PATCH_FOR', 'PATCH_APPLIED', 'COPY_OF', 'FILE_ADDED', 'FILE_DELETED', 'FILE_MODIFIED',
  'EXPANDED_FROM_ARCHIVE', 'DYNAMIC_LINK', 'STATIC_LINK', 'DATA_FILE_OF', 'TEST_CASE_OF', 'BUILD_TOOL_OF', 'DEV_TOOL_OF',
  'TEST_OF', 'TEST_TOOL_OF', 'DOCUMENTATION_OF', 'OPTIONAL_COMPONENT_OF', 'METAFILE_OF', 'PACKAGE_OF', 'AMENDS',
  'PREREQUISITE_FOR', 'HAS_PREREQUISITE', 'REQUIREMENT_DESCRIPTION_FOR', 'SPECIFICATION_FOR', 'OTHER',
]);

/** Every way `doc` breaks a rule of SPDX 2.3 (empty when it keeps them all). */
export function spdx23Problems(doc: unknown): string[] {
  const problems: string[] = [];
  const need = (ok: boolean, what: string) => { if (!ok) problems.push(what); };
  if (!isObject(doc)) return ['the document must be a JSON object'];

  // §6.1 SPDX version: required, 1..1, "SPDX-M.N"; this document claims 2.3.
  need(doc.spdxVersion === 'SPDX-2.3', '§6.1 spdxVersion must be "SPDX-2.3"');
  // §6.2 Data license: required, 1..1, exactly "CC0-1.0".
  need(doc.dataLicense === 'CC0-1.0', '§6.2 dataLicense must be "CC0-1.0"');
  // §6.3 SPDX identifier: required, 1..1, "SPDXRef-DOCUMENT".
  need(doc.SPDXID === 'SPDXRef-DOCUMENT', '§6.3 SPDXID must be "SPDXRef-DOCUMENT"');
  // §6.4 Document name: required, 1..1, single line of text.
  need(isSingleLine(doc.name), '§6.4 name must be a single line of text');
  // §6.5 SPDX document namespace: required, 1..1, a unique absolute URI (RFC 3986) without "#".
  need(typeof doc.documentNamespace === 'string' && /^[A-Za-z][A-Za-z0-9+.-]*:[^\s#]+$/.test(doc.documentNamespace), '§6.5 documentNamespace must be an absolute URI without "#"');
  // §6.8 Creator: required, 1..*; §6.9 Created: required, 1..1.
  const info = doc.creationInfo;
  if (!isObject(info)) problems.push('§6.8/§6.9 creationInfo is required');
  else {
    need(Array.isArray(info.creators) && info.creators.length > 0 && info.creators.every(isAgent), '§6.8 creationInfo.creators must list at least one "Person: ", "Organization: " or "Tool: " creator');
    need(isSpdxDate(info.created), '§6.9 creationInfo.created must be YYYY-MM-DDThh:mm:ssZ');
  }

  const ids = new Set<string>(['SPDXRef-DOCUMENT']);
  const packages = Array.isArray(doc.packages) ? doc.packages : [];
  if (doc.packages !== undefined && !Array.isArray(doc.packages)) problems.push('§7 packages must be a list');
  packages.forEach((pkg: unknown, i) => {
    const at = `packages[${i}]`;
    if (!isObject(pkg)) { problems.push(`§7 ${at} must be an object`); return; }
    // §7.1 Package name: required, 1..1, single line of text.
    need(isSingleLine(pkg.name), `§7.1 ${at}.name must be a single line of text`);
    // §7.2 Package SPDX identifier: required, 1..1, "SPDXRef-[idstring]", unique in the document.
    if (typeof pkg.SPDXID !== 'string' || !SPDX_ID.test(pkg.SPDXID)) problems.push(`§7.2 ${at}.SPDXID must be "SPDXRef-" + letters, digits, "." or "-"`);
    else if (ids.has(pkg.SPDXID)) problems.push(`§7.2 ${at}.SPDXID ${pkg.SPDXID} is not unique`);
    else ids.add(pkg.SPDXID);
    // §7.3 Package version: optional, 0..1, single line of text.
    need(pkg.versionInfo === undefined || isSingleLine(pkg.versionInfo), `§7.3 ${at}.versionInfo must be a single line of text`);
    // §7.4 Package file name: optional, 0..1, single line of text.
    need(pkg.packageFileName === undefined || isSingleLine(pkg.packageFileName), `§7.4 ${at}.packageFileName must be a single line of text`);
    // §7.7 Package download location: required, 1..1, NONE, NOASSERTION or a location.
    need(isSingleLine(pkg.downloadLocation), `§7.7 ${at}.downloadLocation is required (NONE, NOASSERTION or a URL)`);
    // §7.8 Files analysed: optional, a boolean, true when absent.
    need(pkg.filesAnalyzed === undefined || typeof pkg.filesAnalyzed === 'boolean', `§7.8 ${at}.filesAnalyzed must be a boolean`);
    // §7.9 Package verification code: 0..1 when files were analysed, absent when filesAnalyzed is false.
    need(!(pkg.filesAnalyzed === false && pkg.packageVerificationCode !== undefined), `§7.9 ${at}.packageVerificationCode must be omitted when filesAnalyzed is false`);
    // §7.10 Package checksum: optional, 0..*; each {algorithm, checksumValue} in lower-case hex.
    if (pkg.checksums !== undefined) {
      if (!Array.isArray(pkg.checksums)) problems.push(`§7.10 ${at}.checksums must be a list`);
      else pkg.checksums.forEach((c: unknown, j) => {
        const algorithm = isObject(c) ? c.algorithm : undefined;
        const value = isObject(c) ? c.checksumValue : undefined;
        if (typeof algorithm !== 'string' || !(algorithm in CHECKSUM_HEX_LENGTH)) { problems.push(`§7.10 ${at}.checksums[${j}].algorithm is not an SPDX checksum algorithm`); return; }
        const length = CHECKSUM_HEX_LENGTH[algorithm];
        need(typeof value === 'string' && /^[0-9a-f]+$/.test(value) && (length === undefined || value.length === length), `§7.10 ${at}.checksums[${j}].checksumValue must be ${length ?? 'some'} lower-case hex digits`);
      });
    }
    // §7.13 Concluded license, §7.15 Declared license, §7.17 Copyright text: optional in 2.3, 0..1, non-empty when given.
    for (const key of ['licenseConcluded', 'licenseDeclared', 'copyrightText']) {
      need(pkg[key] === undefined || (typeof pkg[key] === 'string' && pkg[key] !== ''), `§7.13/§7.15/§7.17 ${at}.${key} must be a non-empty string when given`);
    }
    // §7.24 Primary package purpose: optional, 0..1, one of Table 34's values.
    need(pkg.primaryPackagePurpose === undefined || PURPOSES.has(pkg.primaryPackagePurpose as string), `§7.24 ${at}.primaryPackagePurpose is not an SPDX purpose`);
    // §12 Annotations of the package: annotator (§12.1), annotationDate (§12.2), annotationType
    // (§12.3, REVIEW or OTHER) and annotation comment (§12.5, "comment" in JSON), each 1..1.
    if (pkg.annotations !== undefined) {
      if (!Array.isArray(pkg.annotations)) problems.push(`§12 ${at}.annotations must be a list`);
      else pkg.annotations.forEach((a: unknown, j) => {
        const where = `${at}.annotations[${j}]`;
        if (!isObject(a)) { problems.push(`§12 ${where} must be an object`); return; }
        need(isAgent(a.annotator), `§12.1 ${where}.annotator must be "Person: ", "Organization: " or "Tool: " …`);
        need(isSpdxDate(a.annotationDate), `§12.2 ${where}.annotationDate must be YYYY-MM-DDThh:mm:ssZ`);
        need(a.annotationType === 'REVIEW' || a.annotationType === 'OTHER', `§12.3 ${where}.annotationType must be REVIEW or OTHER`);
        need(typeof a.comment === 'string' && a.comment !== '', `§12.5 ${where}.comment is required`);
      });
    }
  });

  // §11.1 Relationship: each has spdxElementId, relationshipType (Table 68) and relatedSpdxElement,
  // and both ends are elements of this document (or NONE / NOASSERTION on the related side).
  const relationships = Array.isArray(doc.relationships) ? doc.relationships : [];
  relationships.forEach((r: unknown, i) => {
    const at = `relationships[${i}]`;
    if (!isObject(r)) { problems.push(`§11.1 ${at} must be an object`); return; }
    need(typeof r.spdxElementId === 'string' && ids.has(r.spdxElementId), `§11.1 ${at}.spdxElementId must name an element of the document`);
    need(typeof r.relationshipType === 'string' && RELATIONSHIP_TYPES.has(r.relationshipType), `§11.1 ${at}.relationshipType is not an SPDX relationship type`);
    need(typeof r.relatedSpdxElement === 'string' && (ids.has(r.relatedSpdxElement) || r.relatedSpdxElement === 'NONE' || r.relatedSpdxElement === 'NOASSERTION'), `§11.1 ${at}.relatedSpdxElement must name an element of the document`);
  });
  // What the document is about: a DESCRIBES relationship from the document (§11.1, Table 68), or
  // documentDescribes, its JSON short form. Not a cardinality the clauses state; nix-strata's
  // rule, so consumers find the image package.
  need(relationships.some((r) => isObject(r) && r.spdxElementId === 'SPDXRef-DOCUMENT' && r.relationshipType === 'DESCRIBES')
    || (Array.isArray(doc.documentDescribes) && doc.documentDescribes.length > 0), 'the document must DESCRIBE an element (nix-strata rule)');
  return problems;
}
