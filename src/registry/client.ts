// A small client for the OCI distribution API: manifests and blobs by digest for pulls, any
// request (`send`) for pushes (registry/blob-upload.ts), Bearer token auth (the Docker token
// protocol, one token per scope) and Basic auth, over node's http/https.
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
  /** How the user turns verification off, as TLS errors name it; push's `--tls-verify=false` unless given. */
  readonly tlsVerifyOff?: string;
  /** Speak plain http from the start. Local registries (localhost, 127.0.0.0/8, ::1) fall back to it anyway. */
  readonly insecure?: boolean;
  readonly credentials?: RegistryCredentials;
  /** Idle timeout per request, milliseconds. */
  readonly timeoutMs?: number;
  /** How the user gives credentials, as auth errors say it; NIX_STRATA_REGISTRY_* unless given. */
  readonly credentialHelp?: CredentialHelp;
}

/** The parts of auth errors that tell the user where credentials come from. */
export interface CredentialHelp {
  /** What to do when the registry wants credentials and there are none (`set …`, `log in with …`). */
  readonly missing: string;
  /** What to check when the credentials were refused. */
  readonly wrong: string;
  /** Who was refused access (`NIX_STRATA_REGISTRY_USERNAME`, `the user of …`). */
  readonly who: string;
}

/** One request to a repository's API, as `send` makes it. */
export interface RegistryRequest {
  readonly method: 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH';
  readonly repository: string;
  /** Under `/v2/<repository>/` (`blobs/uploads/`), or an absolute URL the registry gave (an upload's Location). */
  readonly path: string | URL;
  /** The token scope: `pull`, or `push` (pull and push). */
  readonly access: 'pull' | 'push';
  /** A repository the request reads from too (a cross-repository mount's `from`). */
  readonly alsoPull?: string;
  readonly headers?: Readonly<Record<string, string>>;
  /** Makes the body; called again when the request is repeated with a new token. */
  readonly body?: () => Buffer | Readable;
  /** Said in error messages. */
  readonly what: string;
}

const ENV_HELP: CredentialHelp = {
  missing: 'set NIX_STRATA_REGISTRY_USERNAME and NIX_STRATA_REGISTRY_PASSWORD',
  wrong: 'check NIX_STRATA_REGISTRY_USERNAME and NIX_STRATA_REGISTRY_PASSWORD',
  who: 'NIX_STRATA_REGISTRY_USERNAME',
};

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
  /** Whether TLS certificates are verified (said in error messages). */
  get tlsVerify(): boolean {
    return this.options.tlsVerify;
  }
  private scheme: 'http:' | 'https:';
  private readonly allowHttp: boolean;
  // One Authorization per set of scopes, shared by the requests that need it while it is fetched.
  private readonly authorizations = new Map<string, Promise<string>>();
  // The registry's last challenge: a request for new scopes fetches its token before it is sent.
  private challenges: AuthChallenge[] | undefined;

  constructor(registry: string, options: RegistryClientOptions = {}) {
    this.registry = registry;
    this.options = {
      tlsVerify: options.tlsVerify ?? true,
      tlsVerifyOff: options.tlsVerifyOff ?? '--tls-verify=false',
      insecure: options.insecure ?? false,
      timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      credentialHelp: options.credentialHelp ?? ENV_HELP,
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
    response.body.on('error', (error) => verifier.destroy(describeNetworkError(error, response.url, { what, tlsVerify: this.options.tlsVerify, tlsVerifyOff: this.options.tlsVerifyOff })));
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
    return this.send({ method: 'GET', repository, path, access: 'pull', headers, what });
  }

  /**
   * Sends one request to a repository's API, answering a 401 challenge once (a token for the
   * request's scopes, or Basic auth) and sending it again. Any status is returned; a second
   * 401 is an error naming the credentials.
   */
  async send(request: RegistryRequest): Promise<HttpResponse> {
    const { repository, what } = request;
    const scopes = [`repository:${repository}:${request.access === 'push' ? 'pull,push' : 'pull'}`,
      ...(request.alsoPull !== undefined ? [`repository:${request.alsoPull}:pull`] : [])];
    const key = scopes.join(' ');
    // A push token also grants pull on its repository.
    let used = this.authorizations.get(key) ?? this.authorizations.get(`repository:${repository}:pull,push`);
    if (used === undefined && this.challenges !== undefined) used = this.authorizeShared(key, this.challenges, scopes, what);
    const sendOnce = async (authorization: Promise<string> | undefined): Promise<HttpResponse> => {
      const value = authorization === undefined ? undefined : await authorization;
      const path = request.path instanceof URL ? request.path : `/v2/${repository}/${request.path}`;
      return this.request(path, what, { ...request.headers, ...(value ? { Authorization: value } : {}) }, request.method, request.body?.());
    };
    let response = await sendOnce(used);
    if (response.status !== 401) return response;
    const header = headerValue(response.headers['www-authenticate']);
    response.body.resume();
    const hadAuthorization = used !== undefined;
    if (header === undefined) {
      throw new UserError('registry-auth', `${what}: the registry answered 401 without a WWW-Authenticate challenge; check the registry address`);
    }
    this.challenges = parseWwwAuthenticate(header);
    // Another request may have renewed it meanwhile; else this one does.
    const current = this.authorizations.get(key);
    const renewed = current !== undefined && current !== used ? current : this.authorizeShared(key, this.challenges, scopes, what);
    response = await sendOnce(renewed);
    if (response.status === 401) {
      response.body.resume();
      throw new UserError('registry-auth', `${what}: access denied (HTTP 401${hadAuthorization ? ', after renewing the token' : ''}); ${this.credentialHint(repository, request.access)}`);
    }
    return response;
  }

  // Starts fetching the Authorization for `key`, shared until it settles (forgotten if it fails).
  private authorizeShared(key: string, challenges: AuthChallenge[], scopes: readonly string[], what: string): Promise<string> {
    const pending = this.authorize(challenges, scopes, what);
    this.authorizations.set(key, pending);
    pending.catch(() => {
      if (this.authorizations.get(key) === pending) this.authorizations.delete(key);
    });
    return pending;
  }

  // Answers a 401 challenge with a Bearer token (anonymous or with credentials) or Basic auth.
  private async authorize(challenges: AuthChallenge[], scopes: readonly string[], what: string): Promise<string> {
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
      // The request's scopes, and the one the challenge names when it is another (docker sends several `scope` parameters).
      for (const scope of scopes) url.searchParams.append('scope', scope);
      for (const challenged of (bearer.params.scope ?? '').split(' ')) {
        if (challenged !== '' && !coveredBy(challenged, scopes)) url.searchParams.append('scope', challenged);
      }
      const tokenWhat = `token for ${what} from ${url.origin}`;
      const response = await httpRequest(url, {
        headers: credentials ? { Authorization: basic(credentials) } : {},
        timeoutMs: this.options.timeoutMs,
        tlsVerify: this.options.tlsVerify,
        tlsVerifyOff: this.options.tlsVerifyOff,
        what: tokenWhat,
      });
      if (response.status === 401 || response.status === 403) {
        response.body.resume();
        const help = this.options.credentialHelp;
        throw new UserError('registry-auth', `${tokenWhat}: refused (HTTP ${response.status}); ${credentials ? help.wrong : `the registry needs credentials: ${help.missing}`}`);
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
        throw new UserError('registry-auth', `${what}: the registry needs a user name and password: ${this.options.credentialHelp.missing}`);
      }
      return basic(credentials);
    }
    throw new UserError('registry-auth', `${what}: unsupported authentication scheme(s) ${challenges.map((c) => c.scheme).join(', ') || '(none)'}; only Bearer and Basic are supported`);
  }

  private async request(path: string | URL, what: string, headers: Record<string, string>,
    method: RegistryRequest['method'] = 'GET', body?: Buffer | Readable): Promise<HttpResponse> {
    const url = path instanceof URL ? path : new URL(`${this.scheme}//${apiHost(this.registry)}${path}`);
    try {
      return await httpRequest(url, { method, headers, ...(body === undefined ? {} : { body }), timeoutMs: this.options.timeoutMs, tlsVerify: this.options.tlsVerify, tlsVerifyOff: this.options.tlsVerifyOff, what });
    } catch (error) {
      // Like skopeo with --tls-verify=false: a registry that does not speak TLS is tried over http
      // (a first request has no streamed body, so it can be sent again).
      // Judged by this request's URL: concurrent first requests all fail over https, one flips the scheme first.
      if (!(path instanceof URL) && (body === undefined || Buffer.isBuffer(body)) && url.protocol === 'https:' && this.allowHttp && error instanceof UserError && error.code === 'registry-tls') {
        this.scheme = 'http:';
        return this.request(path, what, headers, method, body);
      }
      throw error;
    }
  }

  /** The API's base URL as spoken now (https, or http after a fallback): upload Locations are relative to it. */
  baseUrl(): URL {
    return new URL(`${this.scheme}//${apiHost(this.registry)}/`);
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

  /** What to tell the user when access to `repository` is denied. */
  credentialHint(repository: string, access: 'pull' | 'push' = 'pull'): string {
    const help = this.options.credentialHelp;
    return this.options.credentials
      ? `check that ${help.who} may ${access} ${repository}`
      : `the repository may be private or misspelt: ${help.missing}, or check the name`;
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

/** The body of an error response, only to quote it: when it cannot be read, the status alone is reported. */
export async function errorBody(response: HttpResponse, what: string): Promise<Buffer> {
  try {
    return await readBody(response, 64 * 1024, what);
  } catch (error) {
    if (error instanceof UserError) return Buffer.alloc(0);
    throw error;
  }
}

// Whether `scope` (`repository:name:actions`) asks for nothing beyond one of `scopes`.
function coveredBy(scope: string, scopes: readonly string[]): boolean {
  const [type, name, actions = ''] = scope.split(':');
  return scopes.some((own) => {
    const [ownType, ownName, ownActions = ''] = own.split(':');
    const granted = ownActions.split(',');
    return ownType === type && ownName === name && actions.split(',').every((action) => granted.includes(action));
  });
}

function basic(credentials: RegistryCredentials): string {
  return `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')}`;
}

export function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(', ') : value;
}

/**
 * Registries explain failures as {"errors":[{"code","message","detail"}]}; quote the first one,
 * with its detail when that is text (distribution puts the storage error there: `write …: no
 * space left on device`).
 */
export function summarise(body: Buffer): string {
  const text = body.toString('utf8');
  try {
    const json = JSON.parse(text) as { errors?: Array<{ code?: string; message?: string; detail?: unknown }> };
    const first = json.errors?.[0];
    if (first) {
      const detail = typeof first.detail === 'string' ? first.detail.slice(0, 300) : undefined;
      return [first.code, first.message, detail].filter(Boolean).join(': ');
    }
  } catch (error) {
    if (!(error instanceof SyntaxError)) throw error;
  }
  return text.slice(0, 200).replace(/\s+/g, ' ').trim();
}
