import { test } from 'node:test';
import assert from 'node:assert/strict';
import { contentUuid } from '../../src/sbom/identity.ts';
import { writeCycloneDx } from '../../src/sbom/cyclonedx.ts';
import { createSbom } from '../../src/sbom/packages.ts';
import { writeSpdx } from '../../src/sbom/spdx.ts';
import { app, data, fixtureSbom, glibc, hexOf, lib } from './fixture.ts';
import { spdx23Problems } from './spdx-2.3.ts';
import { cycloneDxErrors, spdxProblems } from './validators.ts';

type Json = Record<string, any>;
const id = (path: string) => `SPDXRef-StorePath-${path.slice(11, 43)}`;

test('the SPDX document keeps every SPDX 2.3 rule and says what the SBOM says', () => {
  const text = writeSpdx(fixtureSbom());
  assert.deepEqual(spdxProblems(text), []);
  const doc = JSON.parse(text) as Json;
  assert.equal(doc.name, 'registry.example.com/team/app:v1');
  assert.equal(doc.creationInfo.created, '2024-05-06T07:08:09Z');
  assert.deepEqual(doc.creationInfo.creators, ['Tool: nix-strata-9.9.9']);
  const packages = doc.packages.slice(1) as Json[];
  assert.deepEqual(packages.map((p) => p.packageFileName), [app, lib, glibc, data]);
  assert.deepEqual(packages.map((p) => [p.name, p.versionInfo]), [['app', '1.0'], ['lib', '2.3'], ['glibc', '2.38-27'], ['app-data', undefined]]);
  for (const p of packages) assert.deepEqual(p.checksums, [{ algorithm: 'SHA256', checksumValue: hexOf[p.packageFileName] }]);
  assert.deepEqual(packages.map((p) => p.annotations[0].comment), ['nix-strata:layer=3', 'nix-strata:layer=3', 'nix-strata:layer=2', 'nix-strata:layer=3']);
  assert.deepEqual(doc.packages[0].primaryPackagePurpose, 'CONTAINER');
  const relationships = (doc.relationships as Json[]).map((r) => `${r.spdxElementId} ${r.relationshipType} ${r.relatedSpdxElement}`);
  assert.deepEqual(relationships, [
    'SPDXRef-DOCUMENT DESCRIBES SPDXRef-Image',
    ...[app, lib, glibc, data].map((p) => `SPDXRef-Image CONTAINS ${id(p)}`),
    `${id(app)} DEPENDS_ON ${id(lib)}`,
    `${id(app)} DEPENDS_ON ${id(data)}`,
    `${id(lib)} DEPENDS_ON ${id(glibc)}`,
  ]);
});

test('the CycloneDX BOM validates against the 1.5 schema and says what the SBOM says', async () => {
  const text = writeCycloneDx(fixtureSbom());
  assert.equal(await cycloneDxErrors(text), null);
  const bom = JSON.parse(text) as Json;
  assert.equal(bom.metadata.timestamp, '2024-05-06T07:08:09Z');
  assert.deepEqual(bom.metadata.component, { type: 'container', 'bom-ref': 'image', name: 'registry.example.com/team/app', version: 'v1' });
  const components = bom.components as Json[];
  assert.deepEqual(components.map((c) => c['bom-ref']), [app, lib, glibc, data]);
  for (const c of components) assert.deepEqual(c.hashes, [{ alg: 'SHA-256', content: hexOf[c['bom-ref']] }]);
  assert.deepEqual(components.map((c) => c.properties.find((p: Json) => p.name === 'nix-strata:layer').value), ['3', '3', '2', '3']);
  assert.deepEqual(bom.dependencies, [
    { ref: 'image', dependsOn: [app] },
    { ref: app, dependsOn: [lib, data] },
    { ref: lib, dependsOn: [glibc] },
    { ref: glibc, dependsOn: [] },
    { ref: data, dependsOn: [] },
  ]);
});

test('both documents are the same bytes for the same SBOM, and their identity is the hash of the rest', () => {
  const sbom = fixtureSbom();
  assert.equal(writeSpdx(fixtureSbom()), writeSpdx(sbom));
  assert.equal(writeCycloneDx(fixtureSbom()), writeCycloneDx(sbom));
  const spdx = JSON.parse(writeSpdx(sbom)) as Json;
  assert.equal(spdx.documentNamespace, `urn:uuid:${contentUuid('spdx', `${JSON.stringify({ ...spdx, documentNamespace: '' }, null, 2)}\n`)}`);
  const bom = JSON.parse(writeCycloneDx(sbom)) as Json;
  assert.equal(bom.serialNumber, `urn:uuid:${contentUuid('cyclonedx', `${JSON.stringify({ ...bom, serialNumber: '' }, null, 2)}\n`)}`);
  // Another date is another document.
  const later = fixtureSbom('2024-05-06T07:08:10Z');
  assert.notEqual((JSON.parse(writeSpdx(later)) as Json).documentNamespace, spdx.documentNamespace);
  assert.notEqual((JSON.parse(writeCycloneDx(later)) as Json).serialNumber, bom.serialNumber);
});

test('an image without store paths is still a valid pair of documents', async () => {
  const empty = createSbom({ name: 'scratch', tag: 't', created: '1970-01-01T00:00:00Z' }, { name: 'nix-strata', version: '1' }, []);
  assert.deepEqual(spdxProblems(writeSpdx(empty)), []);
  assert.equal(await cycloneDxErrors(writeCycloneDx(empty)), null);
});

test('the validators fail documents that break their rules', async () => {
  const spdx = JSON.parse(writeSpdx(fixtureSbom())) as Json;
  const broken: [string, (doc: Json) => void, string][] = [
    ['version', (d) => { d.spdxVersion = 'SPDX-2.2'; }, '§6.1'],
    ['data license', (d) => { delete d.dataLicense; }, '§6.2'],
    ['document id', (d) => { d.SPDXID = 'SPDXRef-DOC'; }, '§6.3'],
    ['name', (d) => { d.name = 'a\nb'; }, '§6.4'],
    ['namespace', (d) => { d.documentNamespace = 'urn:x#y'; }, '§6.5'],
    ['creators', (d) => { d.creationInfo.creators = ['nix-strata']; }, '§6.8'],
    ['created', (d) => { d.creationInfo.created = '2024-05-06T07:08:09+00:00'; }, '§6.9'],
    ['package name', (d) => { delete d.packages[1].name; }, '§7.1'],
    ['package id', (d) => { d.packages[1].SPDXID = 'SPDXRef-Image'; }, '§7.2'],
    ['download location', (d) => { delete d.packages[1].downloadLocation; }, '§7.7'],
    ['verification code', (d) => { d.packages[1].packageVerificationCode = { packageVerificationCodeValue: 'x' }; }, '§7.9'],
    ['checksum', (d) => { d.packages[1].checksums[0].checksumValue = 'ABC'; }, '§7.10'],
    ['annotation type', (d) => { d.packages[1].annotations[0].annotationType = 'NOTE'; }, '§12.3'],
    ['relationship type', (d) => { d.relationships[1].relationshipType = 'HOLDS'; }, '§11.1'],
    ['dangling relationship', (d) => { d.relationships[1].relatedSpdxElement = 'SPDXRef-Nothing'; }, '§11.1'],
  ];
  for (const [name, mutate, clause] of broken) {
    const doc = structuredClone(spdx);
    mutate(doc);
    const problems = spdx23Problems(doc);
    assert.ok(problems[0]?.startsWith(clause), `${name}: ${problems.join('; ')}`);
  }
  const bom = JSON.parse(writeCycloneDx(fixtureSbom())) as Json;
  bom.components[0].hashes[0].alg = 'SHA256';
  assert.notEqual(await cycloneDxErrors(JSON.stringify(bom)), null);
});
