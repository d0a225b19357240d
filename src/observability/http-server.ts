import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { LinkerError, errorMessage } from '../shared/errors.js';
import { assessReadiness } from './readiness.js';
import { redactValue } from './redact-value.js';
import { loadStatusPage, type StatusPageAsset } from './status-page-asset.js';
import type { DaemonStatus } from './status-types.js';

export interface HttpServerOptions {
  /** Loopback by default in the config; anything else exposes metrics and status to the network. */
  host: string;
  /** 0 picks a free port. */
  port: number;
  /** When set, every endpoint but /health/live requires `Authorization: Bearer <token>`. */
  token: string | undefined;
  registry: Registry;
  getStatus: () => DaemonStatus;
  logger: Logger;
}

export interface RunningHttpServer {
  /** Base URL, e.g. `http://127.0.0.1:9464`. */
  url: string;
  port: number;
  /** Stops accepting, ends idle keep-alive sockets at once and busy ones after a short grace. Idempotent. */
  close(): Promise<void>;
}

/** In-flight requests are tiny (a status snapshot, a scrape); past this they are cut rather than waited for. */
const CLOSE_GRACE_MS = 1000;

type Handler = (req: IncomingMessage, res: ServerResponse, url: URL) => Promise<void> | void;

/**
 * The daemon's HTTP endpoint on plain node:http: Prometheus metrics, liveness and readiness probes, the
 * JSON status API and the live status page. Every status payload goes through `redactValue`, so no
 * credential leaves the process even if a status source forgets to mask one.
 */
export async function startHttpServer(options: HttpServerOptions): Promise<RunningHttpServer> {
  validate(options);
  const { registry, getStatus, logger } = options;
  // The caller scopes the logger (the daemon passes a child with component=http).
  const log = logger;
  const tokenDigest = options.token ? sha256(options.token) : undefined;
  const page = await loadStatusPage().catch((err: unknown) => {
    log.warn({ err }, 'status page asset missing (run scripts/copy-assets.js); / serves a stub, the APIs work');
    return undefined;
  });

  const routes: Record<string, Handler> = {
    '/metrics': async (req, res) => {
      const body = await registry.metrics();
      send(req, res, 200, registry.contentType, body);
    },
    '/health/live': (req, res) => sendJson(req, res, 200, { status: 'live' }),
    '/health/ready': (req, res) => {
      const readiness = assessReadiness(getStatus());
      sendJson(req, res, readiness.ready ? 200 : 503, readiness);
    },
    '/api/status': (req, res) => sendJson(req, res, 200, getStatus()),
    '/': (req, res) => sendPage(req, res, page),
  };

  let closing = false;
  const server = createServer((req, res) => {
    if (closing) res.setHeader('Connection', 'close');
    const url = new URL(req.url ?? '/', 'http://localhost');
    const handler = routes[url.pathname];
    const done = (): void => log.debug({ method: req.method, path: url.pathname, status: res.statusCode }, 'http');
    res.on('finish', done);
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('Allow', 'GET, HEAD');
      sendJson(req, res, 405, { error: 'method_not_allowed', message: `${req.method} is not allowed; use GET` });
      return;
    }
    if (tokenDigest && url.pathname !== '/health/live' && !authorized(req, url, tokenDigest)) {
      res.setHeader('WWW-Authenticate', 'Bearer realm="esdb-linker"');
      const hint = url.pathname === '/' ? '; open the page as /?token=<token>' : '';
      sendJson(req, res, 401, {
        error: 'unauthorized',
        message: `missing or wrong bearer token (Authorization: Bearer <token>)${hint}`,
      });
      return;
    }
    if (!handler) {
      sendJson(req, res, 404, { error: 'not_found', message: `no endpoint at ${url.pathname}` });
      return;
    }
    Promise.resolve()
      .then(() => handler(req, res, url))
      .catch((err: unknown) => {
        log.error({ err, path: url.pathname }, 'http handler failed');
        if (res.headersSent) {
          res.destroy();
          return;
        }
        sendJson(req, res, 500, { error: 'internal', message: errorMessage(err) });
      });
  });

  await new Promise<void>((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException): void => {
      reject(
        new LinkerError(
          'ESDBL_HTTP_LISTEN_FAILED',
          `cannot listen on ${options.host}:${options.port}: ${err.code ?? err.message}`,
          { cause: err, details: { host: options.host, port: options.port } },
        ),
      );
    };
    server.once('error', onError);
    server.listen(options.port, options.host, () => {
      server.off('error', onError);
      resolve();
    });
  });
  server.on('error', (err) => log.error({ err }, 'http server error'));

  const port = (server.address() as AddressInfo).port;
  const host = options.host.includes(':') ? `[${options.host}]` : options.host;
  const url = `http://${host}:${port}`;
  log.debug({ url, auth: tokenDigest !== undefined }, 'http endpoint listening');

  let closed: Promise<void> | undefined;
  return {
    url,
    port,
    close() {
      closed ??= new Promise<void>((resolve, reject) => {
        closing = true;
        const force = setTimeout(() => server.closeAllConnections(), CLOSE_GRACE_MS);
        force.unref();
        server.close((err) => {
          clearTimeout(force);
          if (err) reject(err);
          else resolve();
        });
        // Keep-alive sockets with no request in flight would otherwise hold close() for keepAliveTimeout.
        server.closeIdleConnections();
      });
      return closed;
    },
  };
}

function validate(options: HttpServerOptions): void {
  if (!Number.isInteger(options.port) || options.port < 0 || options.port > 65535) {
    throw new LinkerError('ESDBL_HTTP_BAD_OPTIONS', `http port must be an integer 0..65535, got ${options.port}`);
  }
  if (typeof options.host !== 'string' || options.host.length === 0) {
    throw new LinkerError('ESDBL_HTTP_BAD_OPTIONS', `http host must be a non-empty string, got ${options.host}`);
  }
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

/**
 * Compares digests, not the raw strings: equal lengths for timingSafeEqual whatever the caller sent, so
 * neither the token's content nor its length leaks through response time.
 */
function authorized(req: IncomingMessage, url: URL, expected: Buffer): boolean {
  const header = req.headers.authorization ?? '';
  const match = /^Bearer\s+(.+)$/i.exec(header.trim());
  // Browsers cannot put a header on a page navigation, so the page itself also takes ?token=; its
  // fetches then send the header.
  const presented = match?.[1] ?? (url.pathname === '/' ? url.searchParams.get('token') : null);
  if (presented === null || presented === undefined) return false;
  return timingSafeEqual(sha256(presented), expected);
}

function baseHeaders(res: ServerResponse, contentType: string): void {
  res.setHeader('Content-Type', contentType);
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('X-Content-Type-Options', 'nosniff');
}

function send(req: IncomingMessage, res: ServerResponse, status: number, contentType: string, body: string | Buffer) {
  baseHeaders(res, contentType);
  res.statusCode = status;
  res.setHeader('Content-Length', Buffer.byteLength(body));
  res.end(req.method === 'HEAD' ? undefined : body);
}

/** Every JSON body is redacted here, whatever produced it (status, readiness, error messages). */
function sendJson(req: IncomingMessage, res: ServerResponse, status: number, body: unknown): void {
  send(req, res, status, 'application/json; charset=utf-8', `${JSON.stringify(redactValue(body))}\n`);
}

function sendPage(req: IncomingMessage, res: ServerResponse, page: StatusPageAsset | undefined): void {
  if (!page) {
    send(req, res, 200, 'text/plain; charset=utf-8', 'status page not built; see /api/status\n');
    return;
  }
  res.setHeader('Content-Security-Policy', page.contentSecurityPolicy);
  res.setHeader('Referrer-Policy', 'no-referrer');
  send(req, res, 200, 'text/html; charset=utf-8', page.html);
}
