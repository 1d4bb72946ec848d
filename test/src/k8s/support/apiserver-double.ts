/**
 * A kube-apiserver double for EndpointSlices: list and watch on
 * `/apis/discovery.k8s.io/v1/namespaces/{ns}/endpointslices` as the API conventions specify
 * (fixtures.ts cites them), with controls to break it the ways real clusters break. Longer than
 * our usual file because the protocol is one piece: resourceVersions, history and compaction,
 * consistent chunked lists, watches with bookmarks, Status errors.
 *
 * - resourceVersion: one counter for every write; list answers carry it in `metadata`; a watch
 *   from X streams every change after X (history replayed, then live); unset or "0" starts with
 *   synthetic ADDED events for what exists.
 * - `compact()` forgets history through the current version: a watch from before it gets an
 *   ERROR event with a 410 `Expired` Status (or HTTP 410 with `expiredWatchAs: 'status'`), and a
 *   continue token from before it gets HTTP 410 `Expired` with a fresh (inconsistent) token.
 * - Chunked lists: `limit` and `continue`; every page is served from the snapshot at the first
 *   page's resourceVersion, whatever was written in between.
 * - `allowWatchBookmarks=true`: a BOOKMARK every `bookmarkIntervalMs` with only
 *   `metadata.resourceVersion`; `timeoutSeconds` ends a watch cleanly.
 * - Bearer tokens (401 otherwise), an outage switch (refuse connections, 500, hang), dropping
 *   watches, raw event injection (objects no real server would send), and a request log.
 */
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { join } from 'node:path';

/** An EndpointSlice as stored: any JSON with metadata. */
export interface Slice {
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    resourceVersion?: string;
    [key: string]: unknown;
  };
  [key: string]: unknown;
}

export type Outage = 'refuse' | 'error' | 'hang';

export interface LoggedRequest {
  readonly path: string;
  readonly query: Readonly<Record<string, string>>;
  readonly authorization: string | undefined;
  readonly watch: boolean;
  status: number | undefined;
}

interface Change {
  readonly rv: number;
  readonly type: 'ADDED' | 'MODIFIED' | 'DELETED';
  readonly key: string;
  readonly object: Slice;
  readonly previous: Slice | undefined;
}

interface Watcher {
  readonly namespace: string;
  readonly selector: Selector;
  readonly res: ServerResponse;
  frozen: boolean;
  close(): void;
}

type Selector = (labels: Record<string, string> | undefined) => boolean;

export interface ApiServerDoubleOptions {
  /** Accepted bearer tokens. Default ['test-token']. */
  tokens?: string[];
  bookmarkIntervalMs?: number;
  expiredWatchAs?: 'event' | 'status';
  tls?: { key: string; cert: string };
}

const BASE = '/apis/discovery.k8s.io/v1/namespaces/';

export class ApiServerDouble {
  readonly requests: LoggedRequest[] = [];
  /** Called with each request as it arrives, before it is served: a test's hook into timing. */
  onRequest: ((request: LoggedRequest) => void) | undefined;
  /** BOOKMARK events written, over all watches. */
  bookmarksSent = 0;
  expiredWatchAs: 'event' | 'status';
  bookmarkIntervalMs: number;
  #server!: Server;
  #port = 0;
  #tls: boolean;
  #tokens: Set<string>;
  #rv = 1000;
  #floor = 0;
  readonly #objects = new Map<string, Slice>();
  readonly #log: Change[] = [];
  readonly #watchers = new Set<Watcher>();
  readonly #sockets = new Set<Socket>();
  #outage: Outage | undefined;

  private constructor(options: ApiServerDoubleOptions) {
    this.#tokens = new Set(options.tokens ?? ['test-token']);
    this.bookmarkIntervalMs = options.bookmarkIntervalMs ?? 1_000;
    this.expiredWatchAs = options.expiredWatchAs ?? 'event';
    this.#tls = options.tls !== undefined;
  }

  static async start(options: ApiServerDoubleOptions = {}): Promise<ApiServerDouble> {
    const double = new ApiServerDouble(options);
    const handler = (req: IncomingMessage, res: ServerResponse) => double.#handle(req, res);
    double.#server = options.tls
      ? createHttpsServer({ key: options.tls.key, cert: options.tls.cert }, handler)
      : createHttpServer(handler);
    double.#server.on('connection', (socket: Socket) => {
      if (double.#outage === 'refuse') {
        socket.destroy();
        return;
      }
      double.#sockets.add(socket);
      socket.on('close', () => double.#sockets.delete(socket));
    });
    await new Promise<void>((resolve) => double.#server.listen(0, '127.0.0.1', resolve));
    double.#port = (double.#server.address() as AddressInfo).port;
    return double;
  }

  get url(): string {
    return `${this.#tls ? 'https' : 'http'}://127.0.0.1:${this.#port}`;
  }

  get port(): number {
    return this.#port;
  }

  get resourceVersion(): string {
    return String(this.#rv);
  }

  /** Open watch connections (frozen ones included). */
  get watchCount(): number {
    return this.#watchers.size;
  }

  /** Creates or replaces a slice (namespace from the object, else 'default'); returns it stored. */
  apply(slice: Slice): Slice {
    const namespace = slice.metadata.namespace ?? 'default';
    const key = `${namespace}/${slice.metadata.name}`;
    const previous = this.#objects.get(key);
    const rv = ++this.#rv;
    const stored: Slice = structuredClone({
      kind: 'EndpointSlice',
      apiVersion: 'discovery.k8s.io/v1',
      ...slice,
      metadata: {
        ...slice.metadata,
        namespace,
        uid: previous?.metadata.uid ?? randomUUID(),
        creationTimestamp: previous?.metadata.creationTimestamp ?? new Date().toISOString(),
        generation: ((previous?.metadata.generation as number | undefined) ?? 0) + 1,
        resourceVersion: String(rv),
      },
    });
    this.#objects.set(key, stored);
    this.#record({ rv, type: previous ? 'MODIFIED' : 'ADDED', key, object: stored, previous });
    return stored;
  }

  remove(namespace: string, name: string): void {
    const key = `${namespace}/${name}`;
    const previous = this.#objects.get(key);
    if (!previous) throw new Error(`no slice ${key}`);
    const rv = ++this.#rv;
    this.#objects.delete(key);
    // A DELETED event carries the object's last state at the deletion's resourceVersion.
    const object = structuredClone(previous);
    object.metadata.resourceVersion = String(rv);
    this.#record({ rv, type: 'DELETED', key, object, previous });
  }

  /** Forgets history through the current resourceVersion (etcd compaction, watch-cache expiry). */
  compact(): void {
    this.#floor = this.#rv;
  }

  /** Ends every watch: cleanly (the server's timeout, a restart) or by destroying the socket. */
  dropWatches(how: 'end' | 'destroy' = 'end'): void {
    for (const w of [...this.#watchers]) {
      if (how === 'destroy') w.res.socket?.destroy();
      else w.close();
    }
  }

  /** Sends a raw event to every open watch, matching or not: what a buggy server might send. */
  inject(type: string, object: unknown): void {
    const rv = ++this.#rv;
    const o = structuredClone(object) as { metadata?: { resourceVersion?: string } };
    if (o.metadata) o.metadata.resourceVersion = String(rv);
    for (const w of this.#watchers) if (!w.frozen) write(w.res, { type, object: o });
  }

  /** Writes a raw line to every open watch: what a broken proxy or server might send. */
  injectLine(text: string): void {
    for (const w of this.#watchers) if (!w.frozen && !w.res.writableEnded) w.res.write(`${text}\n`);
  }

  /** Starts or ends an outage. Starting one cuts open watches (a hang freezes them instead). */
  setOutage(outage: Outage | undefined): void {
    this.#outage = outage;
    if (outage === undefined) return;
    for (const w of [...this.#watchers]) {
      if (outage === 'hang') w.frozen = true;
      else w.res.socket?.destroy();
    }
  }

  acceptTokens(tokens: string[]): void {
    this.#tokens = new Set(tokens);
  }

  /** A kubeconfig file for this server in `dir`, as `kubectl config view --raw` would write it. */
  writeKubeconfig(
    dir: string,
    options: { token?: string; namespace?: string; ca?: string } = {},
  ): string {
    const cluster: Record<string, unknown> = { server: this.url };
    if (this.#tls && options.ca) {
      cluster['certificate-authority-data'] = Buffer.from(options.ca).toString('base64');
    } else {
      // client-node refuses plain http unless TLS verification is explicitly off.
      cluster['insecure-skip-tls-verify'] = true;
    }
    const config = {
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'double', cluster }],
      users: [{ name: 'tester', user: { token: options.token ?? [...this.#tokens][0] } }],
      contexts: [
        {
          name: 'double',
          context: { cluster: 'double', user: 'tester', namespace: options.namespace ?? 'default' },
        },
      ],
      'current-context': 'double',
    };
    const path = join(dir, `kubeconfig-${this.#port}.json`);
    writeFileSync(path, JSON.stringify(config));
    return path;
  }

  async close(): Promise<void> {
    for (const w of [...this.#watchers]) w.res.socket?.destroy();
    for (const s of this.#sockets) s.destroy();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #record(change: Change): void {
    this.#log.push(change);
    for (const w of this.#watchers) {
      if (w.frozen) continue;
      const event = eventFor(change, w.namespace, w.selector);
      if (event) write(w.res, event);
    }
  }

  #handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://double');
    const query = Object.fromEntries(url.searchParams);
    const watch = query.watch === 'true' || query.watch === '1';
    const entry: LoggedRequest = {
      path: url.pathname,
      query,
      authorization: req.headers.authorization,
      watch,
      status: undefined,
    };
    this.requests.push(entry);
    this.onRequest?.(entry);
    const fail = (code: number, reason: string, message: string, extra: object = {}) => {
      entry.status = code;
      sendJson(res, code, { ...status(code, reason, message), ...extra });
    };
    if (this.#outage === 'hang') return;
    if (this.#outage === 'error') {
      fail(500, 'InternalError', 'Internal error occurred: etcdserver: request timed out');
      return;
    }
    const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    if (token === undefined || !this.#tokens.has(token)) {
      fail(401, 'Unauthorized', 'Unauthorized');
      return;
    }
    const match = url.pathname.startsWith(BASE)
      ? /^([a-z0-9-]+)\/endpointslices$/.exec(url.pathname.slice(BASE.length))
      : null;
    if (req.method !== 'GET' || !match) {
      fail(404, 'NotFound', 'the server could not find the requested resource');
      return;
    }
    const namespace = match[1]!;
    const selector = parseSelector(query.labelSelector ?? '');
    if (!selector) {
      fail(400, 'BadRequest', `unable to parse requirement: ${query.labelSelector}`);
      return;
    }
    if (watch) this.#watch(namespace, selector, query, res, entry, fail);
    else this.#list(namespace, selector, query, res, entry, fail);
  }

  #list(
    namespace: string,
    selector: Selector,
    query: Record<string, string>,
    res: ServerResponse,
    entry: LoggedRequest,
    fail: (code: number, reason: string, message: string, extra?: object) => void,
  ): void {
    let at = this.#rv;
    let after = '';
    if (query.continue) {
      let token: { rv: number; after: string; ns: string; sel: string };
      try {
        token = JSON.parse(Buffer.from(query.continue, 'base64url').toString('utf8'));
      } catch {
        fail(400, 'BadRequest', 'continue key is not valid: illegal base64 data');
        return;
      }
      if (token.ns !== namespace || token.sel !== (query.labelSelector ?? '')) {
        fail(400, 'BadRequest', 'continue key is not valid: the query parameters changed');
        return;
      }
      if (token.rv < this.#floor) {
        fail(
          410,
          'Expired',
          'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.',
          {
            metadata: {
              continue: continueToken(this.#rv, token.after, namespace, query.labelSelector ?? ''),
            },
          },
        );
        return;
      }
      at = token.rv;
      after = token.after;
    }
    const items = [...this.#snapshot(at).entries()]
      .filter(([key, o]) => key.startsWith(`${namespace}/`) && selector(o.metadata.labels))
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .filter(([key]) => key > after);
    const limit = query.limit ? Number(query.limit) : 0;
    const page = limit > 0 ? items.slice(0, limit) : items;
    const metadata: Record<string, unknown> = { resourceVersion: String(at) };
    if (page.length < items.length) {
      metadata.continue = continueToken(at, page.at(-1)![0], namespace, query.labelSelector ?? '');
      metadata.remainingItemCount = items.length - page.length;
    }
    entry.status = 200;
    sendJson(res, 200, {
      kind: 'EndpointSliceList',
      apiVersion: 'discovery.k8s.io/v1',
      metadata,
      // List items carry no kind/apiVersion: the list's own say what they are.
      items: page.map(([, o]) => {
        const { kind: _k, apiVersion: _a, ...rest } = o;
        return rest;
      }),
    });
  }

  #watch(
    namespace: string,
    selector: Selector,
    query: Record<string, string>,
    res: ServerResponse,
    entry: LoggedRequest,
    fail: (code: number, reason: string, message: string) => void,
  ): void {
    const from = query.resourceVersion;
    const since = from === undefined || from === '' || from === '0' ? undefined : Number(from);
    if (since !== undefined && !Number.isInteger(since)) {
      fail(400, 'BadRequest', `Invalid value: "${from}": resourceVersion must be an integer`);
      return;
    }
    const expired = since !== undefined && since < this.#floor;
    const gone = status(410, 'Expired', `too old resource version: ${from} (${this.#floor + 1})`);
    if (expired && this.expiredWatchAs === 'status') {
      entry.status = 410;
      sendJson(res, 410, gone);
      return;
    }
    entry.status = 200;
    res.writeHead(200, { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' });
    res.flushHeaders();
    if (expired) {
      write(res, { type: 'ERROR', object: gone });
      res.end();
      return;
    }
    const timers: NodeJS.Timeout[] = [];
    const watcher: Watcher = {
      namespace,
      selector,
      res,
      frozen: false,
      close: () => {
        for (const t of timers) clearTimeout(t);
        this.#watchers.delete(watcher);
        if (!res.writableEnded) res.end();
      },
    };
    if (since === undefined) {
      for (const [key, o] of [...this.#objects.entries()].sort()) {
        if (key.startsWith(`${namespace}/`) && selector(o.metadata.labels)) {
          write(res, { type: 'ADDED', object: o });
        }
      }
    } else {
      for (const change of this.#log) {
        if (change.rv <= since) continue;
        const event = eventFor(change, namespace, selector);
        if (event) write(res, event);
      }
    }
    this.#watchers.add(watcher);
    res.on('close', () => watcher.close());
    if (query.allowWatchBookmarks === 'true' && this.bookmarkIntervalMs > 0) {
      const bookmark = setInterval(() => {
        if (watcher.frozen) return;
        this.bookmarksSent++;
        write(res, {
          type: 'BOOKMARK',
          object: {
            kind: 'EndpointSlice',
            apiVersion: 'discovery.k8s.io/v1',
            metadata: { resourceVersion: String(this.#rv) },
          },
        });
      }, this.bookmarkIntervalMs);
      timers.push(bookmark);
    }
    const timeoutSeconds = query.timeoutSeconds ? Number(query.timeoutSeconds) : 1_800;
    timers.push(setTimeout(() => watcher.close(), timeoutSeconds * 1_000));
  }

  /** The objects as they were at resourceVersion `rv`. */
  #snapshot(rv: number): Map<string, Slice> {
    if (rv >= this.#rv) return this.#objects;
    const state = new Map<string, Slice>();
    for (const change of this.#log) {
      if (change.rv > rv) break;
      if (change.type === 'DELETED') state.delete(change.key);
      else state.set(change.key, change.object);
    }
    return state;
  }
}

/** A change as a watcher of (namespace, selector) sees it: labels moving in or out included. */
function eventFor(change: Change, namespace: string, selector: Selector) {
  if (!change.key.startsWith(`${namespace}/`)) return undefined;
  const now = change.type !== 'DELETED' && selector(change.object.metadata.labels);
  const before = change.previous !== undefined && selector(change.previous.metadata.labels);
  if (change.type === 'DELETED')
    return before ? { type: 'DELETED', object: change.object } : undefined;
  if (now && before) return { type: 'MODIFIED', object: change.object };
  if (now) return { type: 'ADDED', object: change.object };
  if (before) return { type: 'DELETED', object: change.object };
  return undefined;
}

/** Equality-based selectors: `k=v`, `k==v`, `k!=v`, `k`, `!k`, joined by commas. */
function parseSelector(text: string): Selector | undefined {
  const terms: Selector[] = [];
  for (const raw of text.split(',')) {
    const term = raw.trim();
    if (term === '') continue;
    const m = /^(!?)([A-Za-z0-9./_-]+)(?:\s*(==|=|!=)\s*([A-Za-z0-9._-]*))?$/.exec(term);
    if (!m) return undefined;
    const [, not, key, op, value] = m;
    if (op === undefined) terms.push((l) => (l?.[key!] !== undefined) !== (not === '!'));
    else if (not) return undefined;
    else if (op === '!=') terms.push((l) => l?.[key!] !== value);
    else terms.push((l) => l?.[key!] === value);
  }
  return (labels) => terms.every((t) => t(labels));
}

function continueToken(rv: number, after: string, ns: string, sel: string): string {
  return Buffer.from(JSON.stringify({ rv, after, ns, sel })).toString('base64url');
}

function status(code: number, reason: string, message: string) {
  return {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message,
    reason,
    code,
  };
}

function sendJson(res: ServerResponse, code: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(code, {
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(text),
  });
  res.end(text);
}

function write(res: ServerResponse, event: unknown): void {
  if (!res.writableEnded && !res.destroyed) res.write(`${JSON.stringify(event)}\n`);
}
