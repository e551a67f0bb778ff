// The push half of the distribution API, one request (or one upload) at a time: HEAD a blob,
// mount it from another repository, upload it (monolithic bytes, or a stream sent as one
// chunked PATCH and closed by a PUT with the digest computed as it went), PUT a manifest.
// Every unexpected status becomes a one-line UserError; retries are the caller's.
import type { Readable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { DigestingStream, sha256Digest, type Digest } from '../digest/digest.ts';
import { UserError } from '../errors.ts';
import { errorBody, headerValue, summarise, type RegistryClient } from './client.ts';
import type { HttpResponse } from './http.ts';
import { RegistryStatusError } from './retry.ts';

/** A blob's identity: what a manifest's descriptor needs besides the media type. */
export interface BlobId {
  readonly digest: Digest;
  readonly size: number;
}

/** What `mountBlob` got: the blob is there, or an upload session to send it into. */
export type MountResult = { readonly mounted: true } | { readonly mounted: false; readonly uploadUrl: URL | undefined };

/** Whether `repository` holds the blob (HEAD). */
export async function blobExists(client: RegistryClient, repository: string, digest: Digest, what: string): Promise<boolean> {
  const response = await client.send({ method: 'HEAD', repository, path: `blobs/${digest}`, access: 'push', what });
  response.body.resume();
  if (response.status === 200) return true;
  if (response.status === 404) return false;
  throw await statusError(client, response, what, repository);
}

/** Asks the registry to link a blob of `from` (same registry) into `repository` without sending it. */
export async function mountBlob(client: RegistryClient, repository: string, digest: Digest, from: string, what: string): Promise<MountResult> {
  const query = new URLSearchParams({ mount: digest, from });
  const response = await client.send({ method: 'POST', repository, path: `blobs/uploads/?${query}`, access: 'push', alsoPull: from, what });
  response.body.resume();
  if (response.status === 201) return { mounted: true };
  // 202: the registry could not mount (no access to `from`, or it lacks the blob) and opened an upload instead.
  if (response.status === 202) return { mounted: false, uploadUrl: locationOf(client, response, what) };
  throw await statusError(client, response, what, repository);
}

/** Where an upload goes, from a source of bytes or of a stream; `expected` is checked when known. */
export interface UploadSource {
  readonly bytes?: Buffer;
  readonly open?: () => Readable;
  readonly expected?: BlobId;
  /** An upload session already open (a mount's 202), else one is started. */
  readonly uploadUrl?: URL;
}

/**
 * Uploads a blob and returns its digest and size as sent. Bytes go in one PUT; a stream in one
 * chunked PATCH (so a layer is compressed while it uploads) and a PUT `?digest=` of what
 * passed. The registry's own digest of what it stored must be ours.
 */
export async function uploadBlob(client: RegistryClient, repository: string, source: UploadSource, what: string): Promise<BlobId> {
  let url = source.uploadUrl ?? await startUpload(client, repository, what);
  let sent: BlobId;
  if (source.bytes !== undefined) {
    const bytes = source.bytes;
    sent = { digest: sha256Digest(bytes), size: bytes.length };
    checkExpected(sent, source.expected, what);
    return closeUpload(client, repository, url, sent, what, bytes);
  }
  if (source.open === undefined) throw new Error('uploadBlob: neither bytes nor a stream');
  const open = source.open;
  let hashing = new DigestingStream();
  let stream: Readable | undefined;
  // Called once, or again when a 401 makes the client repeat the PATCH with a new token.
  const body = (): Readable => {
    stream?.destroy();
    const hasher = hashing = new DigestingStream();
    stream = open();
    stream.on('error', (error) => hasher.destroy(error));
    return stream.pipe(hasher);
  };
  try {
    const response = await client.send({ method: 'PATCH', repository, path: url, access: 'push', body, headers: { 'Content-Type': 'application/octet-stream' }, what });
    if (response.status !== 202) throw await statusError(client, response, what, repository);
    response.body.resume();
    await finished(hashing);
    url = locationOf(client, response, what) ?? url;
  } finally {
    // After an early answer (a full disk, a refusal) nothing reads the layer any more.
    stream?.destroy();
  }
  sent = { digest: hashing.digest(), size: hashing.size };
  checkExpected(sent, source.expected, what);
  return closeUpload(client, repository, url, sent, what);
}

/** PUTs a manifest under `reference` (a tag or its digest); returns its digest, checked against the registry's. */
export async function putManifest(client: RegistryClient, repository: string, reference: string, bytes: Buffer, mediaType: string, what: string): Promise<Digest> {
  return (await putManifestAnswer(client, repository, reference, bytes, mediaType, what)).digest;
}

/**
 * putManifest, also returning the registry's `OCI-Subject` header: a registry with the referrers
 * API sends it (the subject's digest) for a manifest that has a `subject` (distribution-spec 1.1).
 */
export async function putManifestAnswer(client: RegistryClient, repository: string, reference: string, bytes: Buffer, mediaType: string, what: string): Promise<{ digest: Digest; ociSubject: string | undefined }> {
  const digest = sha256Digest(bytes);
  const response = await client.send({ method: 'PUT', repository, path: `manifests/${reference}`, access: 'push', body: () => bytes, headers: { 'Content-Type': mediaType }, what });
  if (response.status !== 201 && response.status !== 200) throw await statusError(client, response, what, repository);
  response.body.resume();
  checkRegistryDigest(response, digest, what);
  return { digest, ociSubject: headerValue(response.headers['oci-subject']) };
}

async function startUpload(client: RegistryClient, repository: string, what: string): Promise<URL> {
  const response = await client.send({ method: 'POST', repository, path: 'blobs/uploads/', access: 'push', what });
  if (response.status !== 202) throw await statusError(client, response, what, repository);
  response.body.resume();
  const url = locationOf(client, response, what);
  if (url === undefined) throw new UserError('registry-protocol', `${what}: the registry opened an upload without a Location header; is this an OCI registry?`);
  return url;
}

async function closeUpload(client: RegistryClient, repository: string, url: URL, blob: BlobId, what: string, bytes?: Buffer): Promise<BlobId> {
  const close = new URL(url);
  close.searchParams.set('digest', blob.digest);
  const response = await client.send({
    method: 'PUT', repository, path: close, access: 'push', what,
    headers: { 'Content-Type': 'application/octet-stream' },
    body: () => bytes ?? Buffer.alloc(0),
  });
  if (response.status !== 201) throw await statusError(client, response, what, repository);
  response.body.resume();
  checkRegistryDigest(response, blob.digest, what);
  return blob;
}

// A registry (or a proxy) that stored other bytes than were sent must not get a tag.
function checkRegistryDigest(response: HttpResponse, sent: Digest, what: string): void {
  const stored = headerValue(response.headers['docker-content-digest']);
  if (stored !== undefined && stored !== sent) {
    throw new UserError('registry-digest-mismatch', `${what}: the registry stored ${stored} for what nix-strata sent as ${sent}; the registry or a proxy in between altered the upload (no tag was changed); check the proxy or the registry's storage`);
  }
}

function checkExpected(sent: BlobId, expected: BlobId | undefined, what: string): void {
  if (expected === undefined) return;
  if (sent.digest !== expected.digest || sent.size !== expected.size) {
    throw new UserError('layer-changed', `${what}: the blob read now has digest ${sent.digest} (${sent.size} bytes), not ${expected.digest} (${expected.size} bytes) as before; its source changed during the push`);
  }
}

function locationOf(client: RegistryClient, response: HttpResponse, what: string): URL | undefined {
  const location = headerValue(response.headers.location);
  if (location === undefined) return undefined;
  try {
    return new URL(location, client.baseUrl());
  } catch (error) {
    throw new UserError('registry-protocol', `${what}: the registry's Location ${JSON.stringify(location)} is not a URL`, { cause: error });
  }
}

const NO_SPACE = /no space left on device|disk quota exceeded/i;

/** The error for an answer the operation did not expect, with the registry's own explanation. */
export async function statusError(client: RegistryClient, response: HttpResponse, what: string, repository: string): Promise<UserError> {
  const detail = summarise(await errorBody(response, what));
  const status = response.status;
  const said = `HTTP ${status}${detail ? `, ${detail}` : ''}`;
  if (status === 403) return new RegistryStatusError('registry-auth', status, `${what}: access denied (${said}); ${client.credentialHint(repository, 'push')}`);
  if (status === 404) return new RegistryStatusError('registry-not-found', status, `${what}: not found (${said}); check the registry address and the repository name`);
  if (/DIGEST_INVALID/.test(detail)) {
    return new RegistryStatusError('registry-digest-mismatch', status, `${what}: the registry received other bytes than nix-strata sent (${said}); a proxy in between may alter uploads (no tag was changed)`);
  }
  if (NO_SPACE.test(detail)) {
    return new RegistryStatusError('registry-storage-full', status, `${what}: the registry's storage is full (${said}); free space on the registry (or run its garbage collection) and push again: blobs already stored are not sent again`);
  }
  return new RegistryStatusError('registry-http', status, `${what}: HTTP ${status} from ${response.url.origin}${detail ? ` (${detail})` : ''}`);
}
