// The validators the SBOM tests run: CycloneDX's own library (it ships the 1.5 JSON schema and
// validates with ajv), and the SPDX 2.3 rules of spdx-2.3.ts.
import { Spec, Validation } from '@cyclonedx/cyclonedx-library';
import { spdx23Problems } from './spdx-2.3.ts';

const cyclonedx15 = new Validation.JsonStrictValidator(Spec.Version.v1dot5);

/** The schema errors of a CycloneDX 1.5 JSON text (null when it validates). */
export async function cycloneDxErrors(text: string): Promise<unknown> {
  return cyclonedx15.validate(text);
}

/** The SPDX 2.3 problems of a JSON text (empty when it keeps every rule). */
export function spdxProblems(text: string): string[] {
  return spdx23Problems(JSON.parse(text));
}
