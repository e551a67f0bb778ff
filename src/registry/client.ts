// A small client for the OCI distribution API (pull side only): manifests and blobs by
// digest, Bearer token auth (the Docker token protocol) and Basic auth, over node's http/https.
import type { Readable, TransformCallback } from 'node:stream';
import { DigestingStream, sha256Digest, type Digest } from '../digest/digest.ts';
import { UserError } from '../errors.ts';
import { describeNetworkError, httpRequest, readBody, type HttpResponse } from './http.ts';
import { MANIFEST_ACCEPT } from './manifest.ts';
import { apiHost, isLocalRegistry } from './reference.ts';
import { parseWwwAuthenticate, type AuthChallenge } from './www-authenticate.ts';

/** A user name and password (or identity token as password) for a registry. */
export interface RegistryCredentials {
  readonly username: string;
  readonly password: string;
}

/** How to talk to one registry. */
export interface RegistryClientOptions {
  /** Verify TLS certificates; false also allows a fallback to plain http (like skopeo's --tls-verify=false). */
  readonly tlsVerify?: boolean;
  /** Speak plain http from the start. Local registries (localhost, 127.0.0.0/8, ::1) fall back to it anyway. */
  readonly insecure?: boolean;
  readonly credentials?: RegistryCredentials;
  /** Idle timeout per request, milliseconds. */
  readonly timeoutMs?: number;
}

/** A fetched manifest: its exact bytes, their digest, and the served media type. */
export interface FetchedManifest {
  readonly bytes: Buffer;
  readonly digest: Digest;
  readonly contentType: string | undefined;
}

// Manifests and configs are small; a larger response is not what we asked for.
const SMALL_LIMIT = 16 * 1024 * 1024;
const DEFAULT_TIMEOUT_MS = 60_000;

/** Reads `NIX_STRATA_REGISTRY_USERNAME` / `NIX_STRATA_REGISTRY_PASSWORD`, when both are set. */
export function credentialsFromEnv(env: NodeJS.ProcessEnv = process.env): RegistryCredentials | undefined {
  const username = env.NIX_STRATA_REGISTRY_USERNAME;
  const password = env.NIX_STRATA_REGISTRY_PASSWORD;
  if (username === undefined || username === '' || password === undefined) return undefined;
  return { username, password };
}

/** A pull client for one registry; it caches one token per repository scope. */
export class RegistryClient {
  readonly registry: string;
  private readonly options: Required<Omit<RegistryClientOptions, 'credentials'>> & { credentials?: RegistryCredentials };
  private scheme: 'http:' | 'https:';
  private readonly allowHttp: boolean;
  private readonly authorizations = new Map<string, string>();

  constructor(registry: string, options: RegistryClientOptions = {}) {
    this.registry = registry;
    this.options = {
      tlsVerify: options.tlsVerify ?? true,
      insecure: options.insecure ?? false,
      timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      ...(options.credentials ? { credentials: options.credentials } : {}),
    };
    // As docker does for insecure registries: https first, plain http when TLS is not spoken.
    this.scheme = this.options.insecure ? 'http:' : 'https:';
    this.allowHttp = this.options.insecure || !this.options.tlsVerify || isLocalRegistry(registry);
  }

  /** GETs a manifest by tag or digest; when `reference` is a digest the bytes are checked against it. */
  async getManifest(repository: string, reference: string): Promise<FetchedManifest> {
    const what = `manifest ${reference} of ${this.registry}/${repository}`;
    const response = await this.get(repository, `manifests/${reference}`, what, { Accept: MANIFEST_ACCEPT });
    await this.expectOk(response, what, repository, 'check the repository name and the tag or digest');
    const bytes = await readBody(response, SMALL_LIMIT, what);
    const digest = sha256Digest(bytes);
    if (reference.startsWith('sha256:') && digest !== reference) {
      throw new UserError('digest-mismatch', `${what}: the registry sent a manifest whose digest is ${digest}; the registry or a proxy altered it`);
    }
    return { bytes, digest, contentType: headerValue(response.headers['content-type']) };
  }

  /** Opens a blob as a stream that fails at its end unless its digest (and size, if given) match. */
  async openBlob(repository: string, digest: Digest, expectedSize?: number): Promise<Readable> {
    const what = `blob ${digest} of ${this.registry}/${repository}`;
    const response = await this.get(repository, `blobs/${digest}`, what, {});
    await this.expectOk(response, what, repository, 'the image references a blob the registry does not have; check the digest or push the image again');
    const verifier = new VerifyingStream(digest, expectedSize, what);
    response.body.on('error', (error) => verifier.destroy(describeNetworkError(error, response.url, { what, tlsVerify: this.options.tlsVerify })));
    return response.body.pipe(verifier);
  }

  /** Fetches a small blob (an image config) into memory, verified. */
  async getBlob(repository: string, digest: Digest, expectedSize?: number): Promise<Buffer> {
    const stream = await this.openBlob(repository, digest, expectedSize);
    const chunks: Buffer[] = [];
    let length = 0;
    for await (const chunk of stream) {
      chunks.push(chunk as Buffer);
      length += (chunk as Buffer).length;
      if (length > SMALL_LIMIT) {
        stream.destroy();
        throw new UserError('registry-too-large', `blob ${digest} of ${this.registry}/${repository}: larger than ${SMALL_LIMIT} bytes; it is not an image config`);
      }
    }
    return Buffer.concat(chunks);
  }

  private async get(repository: string, path: string, what: string, headers: Record<string, string>): Promise<HttpResponse> {
    const scope = `repository:${repository}:pull`;
    const send = async (): Promise<HttpResponse> => {
      const authorization = this.authorizations.get(scope);
      return this.request(`/v2/${repository}/${path}`, what, { ...headers, ...(authorization ? { Authorization: authorization } : {}) });
    };
    let response = await send();
    if (response.status !== 401) return response;
    const header = headerValue(response.headers['www-authenticate']);
    response.body.resume();
    const hadAuthorization = this.authorizations.has(scope);
    if (header === undefined) {
      throw new UserError('registry-auth', `${what}: the registry answered 401 without a WWW-Authenticate challenge; check the registry address`);
    }
    this.authorizations.set(scope, await this.authorize(parseWwwAuthenticate(header), scope, what));
    response = await send();
    if (response.status === 401) {
      response.body.resume();
      throw new UserError('registry-auth', `${what}: access denied (HTTP 401${hadAuthorization ? ', after renewing the token' : ''}); ${this.credentialHint(repository)}`);
    }
    return response;
  }

  // Answers a 401 challenge with a Bearer token (anonymous or with credentials) or Basic auth.
  private async authorize(challenges: AuthChallenge[], scope: string, what: string): Promise<string> {
    const bearer = challenges.find((challenge) => challenge.scheme === 'bearer');
    const credentials = this.options.credentials;
    if (bearer !== undefined) {
      const realm = bearer.params.realm;
      if (realm === undefined) throw new UserError('registry-auth', `${what}: the Bearer challenge has no realm; the registry is misconfigured`);
      let url: URL;
      try {
        url = new URL(realm);
      } catch (error) {
        throw new UserError('registry-auth', `${what}: the Bearer challenge's realm ${JSON.stringify(realm)} is not a URL; the registry is misconfigured`, { cause: error });
      }
      if (bearer.params.service !== undefined) url.searchParams.set('service', bearer.params.service);
      // The challenge names the scope it wants; fall back to pull access on this repository.
      url.searchParams.set('scope', bearer.params.scope ?? scope);
      const tokenWhat = `token for ${what} from ${url.origin}`;
      const response = await httpRequest(url, {
        headers: credentials ? { Authorization: basic(credentials) } : {},
        timeoutMs: this.options.timeoutMs,
        tlsVerify: this.options.tlsVerify,
        what: tokenWhat,
      });
      if (response.status === 401 || response.status === 403) {
        response.body.resume();
        throw new UserError('registry-auth', `${tokenWhat}: refused (HTTP ${response.status}); ${credentials ? 'check NIX_STRATA_REGISTRY_USERNAME and NIX_STRATA_REGISTRY_PASSWORD' : 'the registry needs credentials: set NIX_STRATA_REGISTRY_USERNAME and NIX_STRATA_REGISTRY_PASSWORD'}`);
      }
      if (response.status !== 200) {
        const body = await errorBody(response, tokenWhat);
        throw new UserError('registry-auth', `${tokenWhat}: HTTP ${response.status} ${summarise(body)}`);
      }
      const body = await readBody(response, 1024 * 1024, tokenWhat);
      let token: unknown;
      try {
        const json = JSON.parse(body.toString('utf8')) as Record<string, unknown>;
        token = json.token ?? json.access_token;
      } catch (error) {
        throw new UserError('registry-auth', `${tokenWhat}: the token response is not JSON`, { cause: error });
      }
      if (typeof token !== 'string' || token === '') throw new UserError('registry-auth', `${tokenWhat}: the token response has no "token"`);
      return `Bearer ${token}`;
    }
    if (challenges.some((challenge) => challenge.scheme === 'basic')) {
      if (!credentials) {
        throw new UserError('registry-auth', `${what}: the registry needs a user name and password: set NIX_STRATA_REGISTRY_USERNAME and NIX_STRATA_REGISTRY_PASSWORD`);
      }
      return basic(credentials);
    }
    throw new UserError('registry-auth', `${what}: unsupported authentication scheme(s) ${challenges.map((c) => c.scheme).join(', ') || '(none)'}; only Bearer and Basic are supported`);
  }

  private async request(path: string, what: string, headers: Record<string, string>): Promise<HttpResponse> {
    const url = new URL(`${this.scheme}//${apiHost(this.registry)}${path}`);
    try {
      return await httpRequest(url, { headers, timeoutMs: this.options.timeoutMs, tlsVerify: this.options.tlsVerify, what });
    } catch (error) {
      // Like skopeo with --tls-verify=false: a registry that does not speak TLS is tried over http.
      if (this.scheme === 'https:' && this.allowHttp && error instanceof UserError && error.code === 'registry-tls') {
        this.scheme = 'http:';
        return this.request(path, what, headers);
      }
      throw error;
    }
  }

  private async expectOk(response: HttpResponse, what: string, repository: string, notFoundHint: string): Promise<void> {
    if (response.status === 200) return;
    const body = await errorBody(response, what);
    const detail = summarise(body);
    if (response.status === 404) {
      throw new UserError('registry-not-found', `${what}: not found (HTTP 404${detail ? `, ${detail}` : ''}); ${notFoundHint}`);
    }
    if (response.status === 403) {
      throw new UserError('registry-auth', `${what}: access denied (HTTP 403${detail ? `, ${detail}` : ''}); ${this.credentialHint(repository)}`);
    }
    throw new UserError('registry-http', `${what}: HTTP ${response.status} from ${response.url.origin}${detail ? ` (${detail})` : ''}`);
  }

  private credentialHint(repository: string): string {
    return this.options.credentials
      ? `check that NIX_STRATA_REGISTRY_USERNAME may pull ${repository}`
      : `the repository may be private or misspelt: set NIX_STRATA_REGISTRY_USERNAME and NIX_STRATA_REGISTRY_PASSWORD, or check the name`;
  }
}

/** Passes bytes through and fails unless their sha256 (and count) are the expected ones; too many bytes fail at once. */
class VerifyingStream extends DigestingStream {
  constructor(expected: Digest, private readonly expectedSize: number | undefined, private readonly what: string) {
    super((actual, size) => {
      if (actual !== expected) return new UserError('digest-mismatch', `${what}: content has digest ${actual} (${size} bytes); the registry sent different content than the manifest names`);
      if (expectedSize !== undefined && size !== expectedSize) return new UserError('digest-mismatch', `${what}: ${size} bytes, the manifest states ${expectedSize}`);
      return undefined;
    });
  }

  override _transform(chunk: Buffer, encoding: BufferEncoding, callback: TransformCallback): void {
    if (this.expectedSize !== undefined && this.size + chunk.length > this.expectedSize) {
      callback(new UserError('digest-mismatch', `${this.what}: more than the ${this.expectedSize} bytes the manifest states; the registry sent different content`));
      return;
    }
    super._transform(chunk, encoding, callback);
  }
}

// The body of an error response, only to quote it: when it cannot be read, the status alone is reported.
async function errorBody(response: HttpResponse, what: string): Promise<Buffer> {
  try {
    return await readBody(response, 64 * 1024, what);
  } catch (error) {
    if (error instanceof UserError) return Buffer.alloc(0);
    throw error;
  }
}

function basic(credentials: RegistryCredentials): string {
  return `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')}`;
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(', ') : value;
}

// Registries explain failures as {"errors":[{"code","message"}]}; quote the first one.
function summarise(body: Buffer): string {
  const text = body.toString('utf8');
  try {
    const json = JSON.parse(text) as { errors?: Array<{ code?: string; message?: string }> };
    const first = json.errors?.[0];
    if (first) return [first.code, first.message].filter(Boolean).join(': ');
  } catch (error) {
    if (!(error instanceof SyntaxError)) throw error;
  }
  return text.slice(0, 200).replace(/\s+/g, ' ').trim();
}
