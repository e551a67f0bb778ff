// SBOM artifacts as OCI referrers (src/image/referrers.ts): the artifact manifest's exact
// canonical bytes (digests computed outside the code with sha256sum), the referrers tag, and
// the referrers tag schema's index: a new one, appended to, a second push adding nothing, other
// tools' entries kept, something that is not an index refused.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import type { Digest } from '../../src/digest/digest.ts';
import { UserError } from '../../src/errors.ts';
import { addReferrers, artifactManifest, EMPTY_DESCRIPTOR, referrersTag, type ManifestDescriptor } from '../../src/image/referrers.ts';

const sha = (text: string) => createHash('sha256').update(text).digest('hex');
const SUBJECT_HEX = 'fffbe4ec53e89a902ad5f473641530fdc7e5b0d2ac5accfc3f5f6c489065a3d5';
const subject: ManifestDescriptor = { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: `sha256:${SUBJECT_HEX}` as Digest, size: 524 };
// sha256sum of the document and of `{}`.
const DOC_HEX = 'd4f269605ffe72fbe7a3021d68284798ec364111376ee2eace17688bb52a9e1d';
const spdx = { mediaType: 'application/spdx+json', bytes: Buffer.from('{"spdxVersion":"SPDX-2.3"}'), title: 'sbom.spdx.json' };
const cdx = { mediaType: 'application/vnd.cyclonedx+json', bytes: Buffer.from('{"bomFormat":"CycloneDX"}'), title: 'sbom.cdx.json' };

test('the empty descriptor is the two bytes {} (image-spec 1.1)', () => {
  assert.deepEqual(EMPTY_DESCRIPTOR, { mediaType: 'application/vnd.oci.empty.v1+json', digest: 'sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a', size: 2 });
});

test('artifact manifest: artifactType, empty config, the document as its one layer, subject; canonical bytes', () => {
  const artifact = artifactManifest(spdx, subject, '2024-05-01T10:00:00Z');
  const text = '{"annotations":{"org.opencontainers.image.created":"2024-05-01T10:00:00Z"},"artifactType":"application/spdx+json",'
    + '"config":{"digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a","mediaType":"application/vnd.oci.empty.v1+json","size":2},'
    + `"layers":[{"annotations":{"org.opencontainers.image.title":"sbom.spdx.json"},"digest":"sha256:${DOC_HEX}","mediaType":"application/spdx+json","size":26}],`
    + '"mediaType":"application/vnd.oci.image.manifest.v1+json","schemaVersion":2,'
    + `"subject":{"digest":"sha256:${SUBJECT_HEX}","mediaType":"application/vnd.oci.image.manifest.v1+json","size":524}}`;
  assert.equal(artifact.raw.toString(), text);
  assert.equal(artifact.digest, `sha256:${sha(text)}`);
  assert.deepEqual(artifact.descriptor, {
    mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: artifact.digest, size: text.length,
    artifactType: 'application/spdx+json', annotations: { 'org.opencontainers.image.created': '2024-05-01T10:00:00Z' },
  });
  // The same document and image: the same digest (a repush finds it listed).
  assert.equal(artifactManifest(spdx, subject, '2024-05-01T10:00:00Z').digest, artifact.digest);
  assert.notEqual(artifactManifest(spdx, { ...subject, digest: `sha256:${'1'.repeat(64)}` as Digest }, '2024-05-01T10:00:00Z').digest, artifact.digest);
});

test('without a creation date the artifact manifest has no annotations', () => {
  const artifact = artifactManifest(cdx, subject, undefined);
  assert.equal(JSON.parse(artifact.raw.toString()).annotations, undefined);
  assert.deepEqual(artifact.descriptor.annotations, {});
});

test('referrers tag: sha256-<hex of the subject digest>', () => {
  assert.equal(referrersTag(subject.digest), `sha256-${SUBJECT_HEX}`);
});

test('referrers index: new, appended to, and unchanged when pushed again', () => {
  const a = artifactManifest(spdx, subject, undefined);
  const b = artifactManifest(cdx, subject, undefined);
  const fresh = addReferrers(undefined, [a], 'tag');
  assert.equal(fresh.changed, true);
  assert.equal(fresh.raw.toString(), `{"manifests":[{"annotations":{},"artifactType":"application/spdx+json","digest":"${a.digest}","mediaType":"application/vnd.oci.image.manifest.v1+json","size":${a.raw.length}}],"mediaType":"application/vnd.oci.image.index.v1+json","schemaVersion":2}`);
  const both = addReferrers(fresh.raw, [a, b], 'tag');
  assert.equal(both.changed, true);
  assert.deepEqual(JSON.parse(both.raw.toString()).manifests.map((m: { digest: string }) => m.digest), [a.digest, b.digest]);
  const again = addReferrers(both.raw, [a, b], 'tag');
  assert.equal(again.changed, false);
  assert.deepEqual(again.raw, both.raw);
});

test('referrers index: another tool\'s entries are kept', () => {
  const other = { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: `sha256:${'2'.repeat(64)}`, size: 300, artifactType: 'application/vnd.dev.cosign.artifact.sig.v1+json' };
  const current = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests: [other] }));
  const a = artifactManifest(spdx, subject, undefined);
  const index = addReferrers(current, [a], 'tag');
  assert.deepEqual(JSON.parse(index.raw.toString()).manifests, [other, a.descriptor]);
});

test('a tag that holds no image index is refused, naming it', () => {
  const a = artifactManifest(spdx, subject, undefined);
  for (const current of ['not json', '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","layers":[]}']) {
    assert.throws(() => addReferrers(Buffer.from(current), [a], 'reg/app:sha256-abc'),
      (error: unknown) => error instanceof UserError && error.code === 'not-a-referrers-index' && /^reg\/app:sha256-abc: holds something other than an OCI image index/.test(error.message));
  }
});
