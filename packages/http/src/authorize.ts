/**
 * Inbound authorization by mTLS peer identity, the in-process counterpart of a mesh's
 * authorization policy (Istio AuthorizationPolicy, Linkerd AuthorizationPolicy): a caller is
 * admitted when the verified client certificate it connected with carries an identity the
 * first matching rule lists. Identity comes only from a certificate the TLS server verified
 * (`socket.authorized`): a certificate the server asked for but could not verify counts as none.
 */
import type { TLSSocket } from 'node:tls';
import {
  type AuthorizationOptionsBase,
  type AuthorizationRuleBase,
  Authorizer,
  ConfigInvalidError,
  peerIdentities,
} from '@outrigger/core';

export interface HttpAuthorizationRule extends AuthorizationRuleBase {
  /**
   * Which paths (query string excluded): `{ exact: '/health' }` or `{ prefix: '/admin/' }`, a
   * plain string prefix as in Envoy (`/admin` also covers `/administrator`: end it with `/`).
   * Every path when omitted.
   */
  readonly path?: { readonly exact: string } | { readonly prefix: string } | undefined;
  /** Which methods (`GET`, `POST`, ...); every method when omitted. */
  readonly methods?: readonly string[] | undefined;
}

export type HttpAuthorizationOptions = AuthorizationOptionsBase<HttpAuthorizationRule>;

type Matcher = (path: string, method: string) => boolean;

/**
 * What the helpers read of a request: `node:http(s)` IncomingMessage, or `node:http2`'s
 * compatibility Http2ServerRequest (whose `socket` reads through to the TLS socket).
 */
export interface InboundRequest {
  readonly method?: string | undefined;
  readonly url?: string | undefined;
  readonly socket: unknown;
}

/** What they write on a refusal: ServerResponse or Http2ServerResponse. */
export interface InboundResponse {
  writeHead(status: number, headers: Record<string, string>): unknown;
  end(body: string): unknown;
}

/** Identities per connection: a keep-alive connection's certificate is parsed once. */
const identitiesBySocket = new WeakMap<object, readonly string[]>();

function identitiesOf(req: InboundRequest): readonly string[] {
  const socket = req.socket as Partial<TLSSocket> | null;
  if (socket?.authorized !== true || typeof socket.getPeerX509Certificate !== 'function') return [];
  let ids = identitiesBySocket.get(socket);
  if (ids === undefined) {
    ids = peerIdentities(socket.getPeerX509Certificate()?.subjectAltName);
    identitiesBySocket.set(socket, ids);
  }
  return ids;
}

/**
 * The path to match, or undefined when a router might read it differently from a rule: dot
 * segments, encoded dots, slashes or backslashes, doubled slashes, or a request target that is
 * not a path (absolute or authority form). Refused outright, as Envoy's path normalization
 * advice suggests for authorization: a `/public/../admin` must never pass as `/public/`.
 */
function canonicalPath(url: string | undefined): string | undefined {
  if (url === undefined || url[0] !== '/') return undefined;
  let end = url.length;
  const q = url.indexOf('?');
  if (q >= 0) end = q;
  const h = url.indexOf('#');
  if (h >= 0 && h < end) end = h;
  const path = url.slice(0, end);
  if (/%2e|%2f|%5c|\\|\/\/|\/\.\.?(\/|$)/i.test(path)) return undefined;
  return path;
}

function compileRules(where: string, rules: readonly HttpAuthorizationRule[]): Matcher[] {
  return rules.map((rule, i) => {
    const path = rule?.path as { exact?: unknown; prefix?: unknown } | undefined;
    const methods = rule?.methods;
    const at = `${where} rules[${i}]`;
    let pathOk: (p: string) => boolean = () => true;
    if (path !== undefined) {
      const keys = typeof path === 'object' && path !== null ? Object.keys(path) : [];
      const value = keys.length === 1 ? (path as Record<string, unknown>)[keys[0]!] : undefined;
      if (
        typeof value !== 'string' ||
        value[0] !== '/' ||
        !['exact', 'prefix'].includes(keys[0]!)
      ) {
        throw new ConfigInvalidError({
          setting: `${at}.path`,
          value: JSON.stringify(path),
          expected: "{ exact: '/x' } or { prefix: '/x/' } (a path starting with /)",
        });
      }
      pathOk = keys[0] === 'exact' ? (p) => p === value : (p) => p.startsWith(value);
    }
    let methodOk: (m: string) => boolean = () => true;
    if (methods !== undefined) {
      if (!Array.isArray(methods) || methods.some((m) => typeof m !== 'string' || m === '')) {
        throw new ConfigInvalidError({
          setting: `${at}.methods`,
          value: JSON.stringify(methods),
          expected: "an array of HTTP methods, such as ['GET', 'HEAD']",
        });
      }
      const set = new Set(methods.map((m) => m.toUpperCase()));
      methodOk = (m) => set.has(m);
    }
    return (p, m) => pathOk(p) && methodOk(m);
  });
}

/** The check both forms share: true to go on; otherwise the 403 has been sent. */
function gate(
  where: string,
  options: HttpAuthorizationOptions,
): (req: InboundRequest, res: InboundResponse) => boolean {
  const authorizer = new Authorizer(where, 'http', options);
  const rules = compileRules(where, options.rules);
  return (req, res) => {
    const method = req.method ?? 'GET';
    const path = canonicalPath(req.url);
    const identities = identitiesOf(req);
    let allowed: boolean;
    if (path === undefined) {
      allowed = false;
      authorizer.report(false, 'path', 'non-canonical-path', identities, () => method);
    } else {
      const index = rules.findIndex((matches) => matches(path, method));
      allowed = authorizer.decide(index, identities, () => `${method} ${path}`);
    }
    if (!allowed) {
      // Says no more than "forbidden": which rule or identity was missing helps a prober only.
      res.writeHead(403, { 'content-type': 'text/plain; charset=utf-8', 'content-length': '10' });
      res.end('forbidden\n');
    }
    return allowed;
  };
}

/**
 * Wraps a `node:https` (or `node:http2` secure) request handler: `createServer(tlsOptions,
 * authorizeInbound(handler, { rules }))`. A refused request gets 403 and never reaches `handler`.
 * Give the server `requestCert: true` (and `ca`), or no caller will have an identity.
 */
export function authorizeInbound<R extends InboundRequest, S extends InboundResponse>(
  handler: (req: R, res: S) => unknown,
  options: HttpAuthorizationOptions,
): (req: R, res: S) => unknown {
  const check = gate('authorizeInbound()', options);
  return (req, res) => (check(req, res) ? handler(req, res) : undefined);
}

/** The same as connect/express middleware: `app.use(authorizationMiddleware({ rules }))`. */
export function authorizationMiddleware(
  options: HttpAuthorizationOptions,
): (req: InboundRequest, res: InboundResponse, next: (error?: unknown) => void) => void {
  const check = gate('authorizationMiddleware()', options);
  return (req, res, next) => {
    if (check(req, res)) next();
  };
}
