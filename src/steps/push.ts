// `nix-strata push`: the body of the `push` / `copyToRegistry` passthru. Builds the image from
// its conf (or archive), as stream does, and hands it to the registry sink, which asks each
// destination for the layers it already has by content key or diff_id (so a cold runner reads and sends
// only what changed), compresses the rest reproducibly and uploads them, manifest last; with
// an SBOM directory, its documents follow as OCI referrers of the manifest.
import type { Digest } from '../digest/digest.ts';
import type { Logger } from '../log.ts';
import { parseDestination, pushImage } from '../sinks/registry.ts';
// Loaded up front although a push runs no program of its own (elsewhere execa is loaded only
// when one runs): with the larger start-up heap V8 collects the push's spent compression buffers
// sooner. Measured on the 1.1 GB bench image: peak RSS 171 MB with it, 202 MB without (46
// instead of 172 full collections). A push that reused its buffers would not depend on this.
import 'execa';
import { readSbomDocuments } from './sbom-documents.ts';
import { checkImageSource, openImage, type ImageSource } from './image-source.ts';

/** Options of pushFromSource. */
export interface PushStepOptions extends ImageSource {
  /** `host[:port]/repo[:tag]` references; none means the image's own `name:tag`. */
  readonly destinations: readonly string[];
  readonly tlsVerify: boolean;
  /** A tag (or reference) whose layers may be reused instead of the destination's current tag. */
  readonly base?: string | undefined;
  /** The image's SBOM directory (passthru.sbom): its documents are attached as OCI referrers. */
  readonly sbomDir?: string | undefined;
  readonly log: Logger;
}

/** Pushes the image; resolves with the manifest digest once every destination's tag is set. */
export async function pushFromSource(options: PushStepOptions): Promise<Digest> {
  checkImageSource(options);
  // Malformed destinations fail before the image is read.
  for (const destination of options.destinations) parseDestination(destination);
  const referrers = options.sbomDir === undefined ? undefined : await readSbomDocuments(options.sbomDir, '--sbom-dir');
  const { image, reference, close } = await openImage(options);
  try {
    const destinations = options.destinations.length > 0 ? options.destinations : [reference];
    const result = await pushImage(image, destinations, {
      tlsVerify: options.tlsVerify,
      ...(options.base === undefined ? {} : { base: options.base }),
      ...(referrers === undefined ? {} : { referrers }),
      log: options.log,
    });
    const { uploaded, mounted, present, reused, reusedByKey } = result.blobs;
    options.log.info(`blobs: ${uploaded} uploaded, ${mounted} mounted, ${present} already there, ${reused} layers reused from the registry (${reusedByKey} by content key, not read)`);
    return result.digest;
  } finally {
    await close();
  }
}
