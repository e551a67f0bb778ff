// The SBOM documents of an image's passthru.sbom output (steps/sbom.ts writes them), read to be
// attached as OCI artifacts: by `push --sbom` as referrers, and into the `oci` layout.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { UserError } from '../errors.ts';
import type { ArtifactDocument } from '../image/referrers.ts';
import { CYCLONEDX_FILE, SPDX_FILE } from './sbom.ts';

/** Each file with its media type (the artifactType): SPDX's IANA type, CycloneDX's vendor type. */
export const SBOM_MEDIA_TYPES: ReadonlyArray<readonly [file: string, mediaType: string]> = [
  [SPDX_FILE, 'application/spdx+json'],
  [CYCLONEDX_FILE, 'application/vnd.cyclonedx+json'],
];

/** Reads both documents of `dir` (given by `flag`); a missing one is a UserError naming it. */
export async function readSbomDocuments(dir: string, flag: string): Promise<ArtifactDocument[]> {
  const documents: ArtifactDocument[] = [];
  for (const [file, mediaType] of SBOM_MEDIA_TYPES) {
    let bytes: Buffer;
    try {
      bytes = await readFile(join(dir, file));
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      throw new UserError('bad-sbom-dir', `${flag} ${dir}: cannot read ${file} (${code ?? (error as Error).message}); give the image's passthru.sbom output`, { cause: error });
    }
    documents.push({ mediaType, bytes, title: file });
  }
  return documents;
}
