// Docker/OCI identifiers derived from bytes and diff_ids (format.md §2.3).
import { sha256Digest, type Digest } from '../digest/digest.ts';

/** Image ID: the sha256 of the exact config bytes. */
export function imageId(rawConfig: Uint8Array): Digest {
  return sha256Digest(rawConfig);
}

/** ChainIDs, one per layer: the first is its DiffID, each next one hashes "<previous> <diffId>". */
export function chainIds(diffIds: readonly Digest[]): Digest[] {
  const chain: Digest[] = [];
  for (const diffId of diffIds) {
    const previous = chain[chain.length - 1];
    chain.push(previous === undefined ? diffId : sha256Digest(`${previous} ${diffId}`));
  }
  return chain;
}
