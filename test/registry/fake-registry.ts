// An in-process registry on 127.0.0.1 for the client tests: the distribution API's GET routes,
// a Docker-style token service, and switches for the failures the client must explain.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { sha256Digest, type Digest } from '../../src/digest/digest.ts';

export interface FakeRegistryOptions {
  /** Require a Bearer token for this realm; the token service wants these credentials, if set. */
  readonly auth?: 'none' | 'bearer' | 'basic';
  readonly credentials?: { username: string; password: string };
}

export interface FakeRegistry {
  readonly host: string;
  readonly requests: string[];
  /** Adds a manifest (stored under its digest and, if given, a tag); returns its digest. */
  putManifest(repo: string, json: object, tag?: string): Digest;
  /** Adds a blob; `served` replaces the bytes actually sent (to simulate a corrupt registry). */
  putBlob(repo: string, bytes: Buffer, served?: Buffer): Digest;
  /** Paths that never answer (for timeouts). */
  readonly hang: Set<string>;
  close(): Promise<void>;
}

export async function startFakeRegistry(options: FakeRegistryOptions = {}): Promise<FakeRegistry> {
  const manifests = new Map<string, { body: Buffer; mediaType: string }>();
  const blobs = new Map<string, Buffer>();
  const requests: string[] = [];
  const hang = new Set<string>();
  const tokens = new Set<string>();
  let host = '';

  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    const url = new URL(req.url ?? '/', `http://${host}`);
    requests.push(`${req.method} ${url.pathname}${url.search}`);
    if (hang.has(url.pathname)) return;
    if (url.pathname === '/token') {
      if (options.credentials) {
        const expected = `Basic ${Buffer.from(`${options.credentials.username}:${options.credentials.password}`).toString('base64')}`;
        if (req.headers.authorization !== expected) return void res.writeHead(401).end('{"details":"bad credentials"}');
      }
      const token = `token-${tokens.size}-${url.searchParams.get('scope')}-${url.searchParams.get('service')}`;
      tokens.add(token);
      res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ token }));
      return;
    }
    const match = /^\/v2\/(.+)\/(manifests|blobs)\/([^/]+)$/.exec(url.pathname);
    if (url.pathname.startsWith('/v2/') && !authorised(req, match?.[1] ?? '')) {
      const repo = match?.[1] ?? '';
      const challenge = options.auth === 'basic'
        ? 'Basic realm="fake"'
        : `Bearer realm="http://${host}/token",service="fake-registry",scope="repository:${repo}:pull"`;
      res.writeHead(401, { 'WWW-Authenticate': challenge, 'Content-Type': 'application/json' })
        .end('{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}');
      return;
    }
    if (url.pathname.startsWith('/storage/')) {
      const blob = blobs.get(url.pathname.slice('/storage/'.length));
      if (blob) return void res.writeHead(200).end(blob);
    }
    if (match) {
      const [, repo, kind, ref] = match;
      if (kind === 'manifests') {
        const manifest = manifests.get(`${repo}@${ref}`);
        if (manifest) return void res.writeHead(200, { 'Content-Type': manifest.mediaType, 'Docker-Content-Digest': sha256Digest(manifest.body) }).end(manifest.body);
        return void res.writeHead(404, { 'Content-Type': 'application/json' }).end('{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]}');
      }
      const key = `${repo}@${ref}`;
      // Blobs go through a redirect, as registries backed by object storage do.
      if (blobs.has(key)) return void res.writeHead(307, { Location: `/storage/${key}` }).end();
      return void res.writeHead(404, { 'Content-Type': 'application/json' }).end('{"errors":[{"code":"BLOB_UNKNOWN","message":"blob unknown to registry"}]}');
    }
    res.writeHead(404).end();
  };

  function authorised(req: IncomingMessage, _repo: string): boolean {
    if ((options.auth ?? 'none') === 'none') return true;
    const header = req.headers.authorization ?? '';
    if (options.auth === 'basic' && options.credentials) {
      return header === `Basic ${Buffer.from(`${options.credentials.username}:${options.credentials.password}`).toString('base64')}`;
    }
    return header.startsWith('Bearer ') && tokens.has(header.slice('Bearer '.length));
  }

  const server: Server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    host,
    requests,
    hang,
    putManifest(repo, json, tag) {
      const body = Buffer.from(JSON.stringify(json));
      const digest = sha256Digest(body);
      const mediaType = (json as { mediaType?: string }).mediaType ?? 'application/vnd.oci.image.manifest.v1+json';
      manifests.set(`${repo}@${digest}`, { body, mediaType });
      if (tag !== undefined) manifests.set(`${repo}@${tag}`, { body, mediaType });
      return digest;
    },
    putBlob(repo, bytes, served) {
      const digest = sha256Digest(bytes);
      blobs.set(`${repo}@${digest}`, served ?? bytes);
      return digest;
    },
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
