// A Docker token service on 127.0.0.1 for a real docker-registry configured with `auth: token:`:
// GET /token?service=…&scope=…(&scope=…) answers a JWT (ES256, the signing certificate in its
// x5c header, as distribution verifies it against its rootcertbundle). A user with the right
// password gets every action asked for; anyone else gets only `pull`. Each request's scopes
// and user are recorded.
import { createPrivateKey, randomUUID, sign } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface TokenServerOptions {
  readonly issuer: string;
  readonly service: string;
  readonly keyPem: string;
  readonly certificateDerBase64: string;
  readonly users: Readonly<Record<string, string>>;
}

export interface TokenRequest {
  readonly user: string | undefined;
  readonly scopes: readonly string[];
  readonly status: number;
}

export interface TokenServer {
  /** The realm URL, `http://127.0.0.1:<port>/token`. */
  readonly realm: string;
  readonly requests: TokenRequest[];
  close(): Promise<void>;
}

const base64url = (data: Buffer | string): string => Buffer.from(data).toString('base64url');

export async function startTokenServer(options: TokenServerOptions): Promise<TokenServer> {
  const key = createPrivateKey(options.keyPem);
  const requests: TokenRequest[] = [];
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const scopes = url.searchParams.getAll('scope');
    let user: string | undefined;
    const header = req.headers.authorization ?? '';
    if (header.startsWith('Basic ')) {
      const [name = '', password = ''] = Buffer.from(header.slice(6), 'base64').toString('utf8').split(/:(.*)/s);
      if (options.users[name] !== password) {
        requests.push({ user: name, scopes, status: 401 });
        res.writeHead(401, { 'Content-Type': 'application/json' }).end('{"details":"incorrect username or password"}');
        return;
      }
      user = name;
    }
    const access = scopes.flatMap((scope) => {
      const [type, name, actions = ''] = scope.split(':');
      if (type !== 'repository' || name === undefined) return [];
      const asked = actions.split(',').filter(Boolean);
      return [{ type, name, actions: user === undefined ? asked.filter((action) => action === 'pull') : asked }];
    });
    const now = Math.floor(Date.now() / 1000);
    const head = base64url(JSON.stringify({ typ: 'JWT', alg: 'ES256', x5c: [options.certificateDerBase64] }));
    const claims = base64url(JSON.stringify({
      iss: options.issuer, sub: user ?? '', aud: options.service, exp: now + 300, nbf: now - 10, iat: now, jti: randomUUID(), access,
    }));
    // JWS ES256 signatures are r||s, not DER.
    const signature = sign('sha256', Buffer.from(`${head}.${claims}`), { key, dsaEncoding: 'ieee-p1363' });
    const token = `${head}.${claims}.${base64url(signature)}`;
    requests.push({ user, scopes, status: 200 });
    res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ token, access_token: token, expires_in: 300 }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    realm: `http://127.0.0.1:${(server.address() as AddressInfo).port}/token`,
    requests,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
