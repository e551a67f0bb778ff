// One HTTP(S) request over node's own http/https modules, with an idle timeout,
// redirects (for requests without a streamed body), and network failures turned into
// one-line UserErrors.
import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import type { Readable } from 'node:stream';
import { UserError } from '../errors.ts';
import { trustedCertificates } from './trust.ts';

/** Options for one request. */
export interface HttpRequestOptions {
  /** GET unless given. */
  readonly method?: 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH';
  readonly headers?: Readonly<Record<string, string>>;
  /**
   * What to send: bytes, or a stream sent chunked (an upload whose length is only known at its
   * end). A stream that fails aborts the request and rejects with the stream's own error.
   */
  readonly body?: Buffer | Readable;
  /** Milliseconds without any socket activity before the request is abandoned. */
  readonly timeoutMs: number;
  /** Verify TLS certificates (https only). */
  readonly tlsVerify: boolean;
  /** How the user turns verification off in the command in use (`--tls-verify=false`), named in TLS error hints. */
  readonly tlsVerifyOff: string;
  /** Said in error messages: what was being fetched (`manifest … of …`). */
  readonly what: string;
}

/** The response; `url` is the final one after redirects. The body has not been read. */
export interface HttpResponse {
  readonly status: number;
  readonly headers: IncomingMessage['headers'];
  readonly body: IncomingMessage;
  readonly url: URL;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const MAX_REDIRECTS = 5;

/** Sends the request and resolves with the response head; follows redirects unless the body is a stream. */
export async function httpRequest(url: URL, options: HttpRequestOptions): Promise<HttpResponse> {
  let current = url;
  let headers: Record<string, string> = { ...options.headers };
  for (let hop = 0; ; hop++) {
    const response = await requestOnce(current, headers, options);
    const location = response.headers.location;
    // A streamed body cannot be sent twice; registries do not redirect uploads anyway.
    const streamed = options.body !== undefined && !Buffer.isBuffer(options.body);
    if (!REDIRECTS.has(response.status) || location === undefined || streamed) return response;
    response.body.resume();
    if (hop >= MAX_REDIRECTS) {
      throw new UserError('registry-redirects', `${options.what}: too many redirects from ${url.origin} (last to ${location}); check the registry address`);
    }
    const next = new URL(location, current);
    // Blob redirects go to storage hosts (S3, CDNs) that must not see the registry's token.
    if (next.host !== current.host) {
      headers = Object.fromEntries(Object.entries(headers).filter(([name]) => name.toLowerCase() !== 'authorization'));
    }
    current = next;
  }
}

function requestOnce(url: URL, headers: Record<string, string>, options: HttpRequestOptions): Promise<HttpResponse> {
  const ca = url.protocol === 'https:' && options.tlsVerify ? trustedCertificates() : undefined;
  return new Promise((resolve, reject) => {
    const module = url.protocol === 'http:' ? http : https;
    const body = options.body;
    const length = Buffer.isBuffer(body) ? { 'Content-Length': String(body.length) } : {};
    const request = module.request(url, {
      method: options.method ?? 'GET',
      headers: { 'User-Agent': 'nix-strata', ...length, ...headers },
      ...(url.protocol === 'https:' ? { rejectUnauthorized: options.tlsVerify } : {}),
      ...(ca === undefined ? {} : { ca }),
    });
    let received: IncomingMessage | undefined;
    // The timeout stays on the socket while the body streams, so a stalled download fails too.
    request.setTimeout(options.timeoutMs, () => {
      const error = new UserError('registry-timeout', `${options.what}: no data from ${url.origin} for ${options.timeoutMs / 1000} s; check the network or the registry, or raise the timeout`);
      received?.destroy(error);
      request.destroy(error);
    });
    let bodyError: unknown;
    request.on('error', (error) => reject(bodyError ?? describeNetworkError(error, url, options)));
    request.on('response', (response) => {
      received = response;
      response.on('error', () => undefined); // reported through the consumer's pipeline
      resolve({ status: response.statusCode ?? 0, headers: response.headers, body: response, url });
    });
    if (body === undefined) request.end();
    else if (Buffer.isBuffer(body)) request.end(body);
    else {
      body.on('error', (error) => {
        bodyError = error;
        request.destroy(error);
      });
      body.pipe(request);
    }
  });
}

/** Turns a socket-level failure into a UserError saying what failed and what to check. */
export function describeNetworkError(error: unknown, url: URL, options: Pick<HttpRequestOptions, 'what' | 'tlsVerify' | 'tlsVerifyOff'>): Error {
  if (error instanceof UserError) return error;
  const code = (error as { code?: unknown }).code;
  const message = error instanceof Error ? error.message : String(error);
  const where = `${options.what}: cannot reach ${url.origin}`;
  switch (code) {
    case 'ECONNREFUSED':
      return new UserError('registry-unreachable', `${where}: connection refused; check the registry address and port and that the registry is running`, { cause: error });
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new UserError('registry-unreachable', `${where}: host name not found; check the registry name and DNS`, { cause: error });
    case 'ECONNRESET':
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
    case 'ETIMEDOUT':
      return new UserError('registry-unreachable', `${where}: ${String(code)}; check the network connection`, { cause: error });
    default:
      if (typeof code === 'string' && isCertificateError(code)) {
        // The registry speaks TLS, with a certificate not trusted here: never retried over http.
        const hint = options.tlsVerify ? `trust the registry's CA through SSL_CERT_FILE or NODE_EXTRA_CA_CERTS, or pass ${options.tlsVerifyOff}` : 'check the registry\'s certificate';
        return new UserError('registry-certificate', `${where}: TLS certificate not trusted, ${code} (${message}); ${hint}`, { cause: error });
      }
      if (typeof code === 'string' && (code.startsWith('ERR_SSL') || code === 'EPROTO' || code.startsWith('ERR_TLS'))) {
        const hint = options.tlsVerify ? `pass ${options.tlsVerifyOff} for a registry without TLS` : 'check whether the registry speaks https';
        return new UserError('registry-tls', `${where}: TLS error ${code} (${message}); ${hint}`, { cause: error });
      }
      return new UserError('registry-unreachable', `${where}: ${message}`, { cause: error });
  }
}

// OpenSSL's verification results (UNABLE_TO_VERIFY_LEAF_SIGNATURE, SELF_SIGNED_CERT_IN_CHAIN,
// CERT_HAS_EXPIRED, …) and Node's host-name check.
function isCertificateError(code: string): boolean {
  return code.includes('CERT') || code.startsWith('UNABLE_TO_') || code === 'HOSTNAME_MISMATCH';
}

/** Reads a (small) response body into memory, refusing more than `limit` bytes. */
export async function readBody(response: HttpResponse, limit: number, what: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let length = 0;
  for await (const chunk of response.body) {
    const bytes = chunk as Buffer;
    length += bytes.length;
    if (length > limit) {
      response.body.destroy();
      throw new UserError('registry-too-large', `${what}: response from ${response.url.origin} is larger than ${limit} bytes; this is not an image manifest or config`);
    }
    chunks.push(bytes);
  }
  return Buffer.concat(chunks);
}
