// An HTTP proxy on 127.0.0.1 in front of a registry that injects faults: connection resets,
// 5xx answers, a wrong Docker-Content-Digest, or a hook run before a request is passed on
// (to kill the registry mid-push). The Host header is passed as it came, so the registry's
// upload Locations point back at the proxy. It records every request it saw.
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** What to do with one request. */
export type Fault =
  | { readonly kind: 'reset' }
  | { readonly kind: 'status'; readonly status: number; readonly body?: string }
  | { readonly kind: 'wrong-digest' }
  | { readonly kind: 'before'; readonly run: () => Promise<void> };

/** A request as the proxy saw it, and the status passed back (0 when reset). */
export interface ProxiedRequest {
  readonly method: string;
  readonly url: string;
  status: number;
}

export interface FaultProxy {
  /** `127.0.0.1:<port>`. */
  readonly address: string;
  readonly requests: ProxiedRequest[];
  /** Decides each request's fault (undefined: pass it on untouched); replace it at will. */
  fault: (request: IncomingMessage, seen: number) => Fault | undefined;
  close(): Promise<void>;
}

/** Starts a proxy to `upstream` (`host:port`, plain http). */
export async function startFaultProxy(upstream: string): Promise<FaultProxy> {
  const [upstreamHost, upstreamPort] = upstream.split(':') as [string, string];
  const requests: ProxiedRequest[] = [];
  const proxy: FaultProxy = { address: '', requests, fault: () => undefined, close: async () => undefined };
  const server = http.createServer((req: IncomingMessage, res: ServerResponse) => {
    const record: ProxiedRequest = { method: req.method ?? '', url: req.url ?? '', status: 0 };
    requests.push(record);
    void handle(req, res, record, proxy.fault(req, requests.length));
  });
  const handle = async (req: IncomingMessage, res: ServerResponse, record: ProxiedRequest, fault: Fault | undefined): Promise<void> => {
    if (fault?.kind === 'reset') {
      req.socket.destroy();
      return;
    }
    if (fault?.kind === 'status') {
      req.resume();
      record.status = fault.status;
      res.writeHead(fault.status, { 'Content-Type': 'application/json', Connection: 'close' }).end(fault.body ?? '{"errors":[{"code":"UNAVAILABLE","message":"injected fault"}]}');
      return;
    }
    if (fault?.kind === 'before') await fault.run();
    const forward = http.request({ host: upstreamHost, port: Number(upstreamPort), method: req.method, path: req.url, headers: req.headers });
    forward.on('error', () => req.socket.destroy());
    forward.on('response', (answer) => {
      const headers = { ...answer.headers };
      if (fault?.kind === 'wrong-digest' && headers['docker-content-digest'] !== undefined) {
        headers['docker-content-digest'] = `sha256:${'0'.repeat(64)}`;
      }
      record.status = answer.statusCode ?? 0;
      res.writeHead(answer.statusCode ?? 502, headers);
      answer.pipe(res);
    });
    req.pipe(forward);
  };
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  Object.assign(proxy, {
    address: `127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  });
  return proxy;
}

/** Whether a request completes a blob upload (the PUT with `?digest=`). */
export function isBlobClose(request: IncomingMessage): boolean {
  return request.method === 'PUT' && /\/blobs\/uploads\/.*[?&]digest=/.test(request.url ?? '');
}
