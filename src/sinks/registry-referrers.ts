// Attaches artifacts (the SBOM documents) to a pushed image as OCI referrers, in one repository:
// the empty config blob and each document blob (when the repository lacks them), then each
// artifact manifest PUT by digest. A registry that answers with `OCI-Subject` indexes them
// itself (the referrers API). Otherwise (distribution 2.8) the referrers tag schema of
// distribution-spec 1.1: the index at tag `sha256-<hex>` of the subject is read (none yet: a new
// one), the artifacts not listed in it are added, and it is PUT back under that tag. Pushing
// the same artifacts again lists nothing twice and leaves the tag as it is.
import type { Digest } from '../digest/digest.ts';
import { UserError } from '../errors.ts';
import { MEDIA_TYPES } from '../image/media-types.ts';
import { addReferrers, EMPTY_BLOB, EMPTY_DESCRIPTOR, referrersTag, type ArtifactManifest } from '../image/referrers.ts';
import type { Logger } from '../log.ts';
import { blobExists, putManifest, putManifestAnswer, uploadBlob } from '../registry/blob-upload.ts';
import type { RegistryClient } from '../registry/client.ts';

/** Where, and how each request is retried (the push session's policy). */
export interface ReferrersTarget {
  readonly client: RegistryClient;
  readonly repository: string;
  /** `host/repo`, said in messages. */
  readonly name: string;
  readonly retrying: <T>(what: string, operation: () => Promise<T>) => Promise<T>;
  readonly log: Logger;
}

/** How the referrers were recorded: by the registry, or in the referrers tag. */
export type ReferrersOutcome = { readonly api: true } | { readonly api: false; readonly tag: string; readonly updated: boolean };

/** Pushes `artifacts` (all referring to `subject`) into the target's repository and records them as referrers. */
export async function pushReferrers(target: ReferrersTarget, subject: Digest, artifacts: readonly ArtifactManifest[]): Promise<ReferrersOutcome> {
  const { client, repository, name } = target;
  const blobs = [{ bytes: EMPTY_BLOB, digest: EMPTY_DESCRIPTOR.digest, label: 'empty config' }, ...artifacts.map((a) => ({ bytes: a.document.bytes, digest: a.layer.digest, label: a.document.title }))];
  for (const blob of blobs) {
    const what = `${blob.label} for ${name}`;
    await target.retrying(what, async () => {
      if (!await blobExists(client, repository, blob.digest, what)) await uploadBlob(client, repository, { bytes: blob.bytes }, what);
    });
  }
  let api = true;
  for (const artifact of artifacts) {
    const what = `${artifact.document.title} referrer of ${name}@${subject}`;
    const answer = await target.retrying(what, () => putManifestAnswer(client, repository, artifact.digest, artifact.raw, MEDIA_TYPES.ociManifest, what));
    if (answer.ociSubject !== subject) api = false;
    target.log.info(`pushed ${name}@${artifact.digest} (${artifact.artifactType}, subject ${subject})`);
  }
  if (api) return { api: true };
  return { api: false, ...await updateReferrersTag(target, subject, artifacts) };
}

// The referrers tag schema: read the list (404: none yet), add what is missing, PUT it back.
async function updateReferrersTag(target: ReferrersTarget, subject: Digest, artifacts: readonly ArtifactManifest[]): Promise<{ tag: string; updated: boolean }> {
  const { client, repository, name } = target;
  const tag = referrersTag(subject);
  const where = `${name}:${tag}`;
  const current = await target.retrying(`reading ${where}`, async () => {
    try {
      return (await client.getManifest(repository, tag)).bytes;
    } catch (error) {
      if (error instanceof UserError && error.code === 'registry-not-found') return undefined;
      throw error;
    }
  });
  const index = addReferrers(current, artifacts, where);
  if (!index.changed) {
    target.log.info(`${where} lists the referrers already`);
    return { tag, updated: false };
  }
  await target.retrying(`referrers list ${where}`, () => putManifest(client, repository, tag, index.raw, MEDIA_TYPES.ociIndex, `referrers list ${where}`));
  target.log.info(`pushed ${where}@${index.digest} (referrers tag schema: the registry has no referrers API)`);
  return { tag, updated: true };
}
