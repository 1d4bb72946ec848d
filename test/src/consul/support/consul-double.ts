/**
 * A Consul HTTP API double on node:http, for the tests of @outrigger/discovery-consul (no
 * agent can be installed here). It implements what the package uses as Consul's API
 * documentation specifies: blocking queries (`index` + `wait`, default 5 m, capped at 10 m,
 * plus up to wait/16 of jitter, `X-Consul-Index` per resource), health states and the
 * `passing` flag, repeatable `tag`, `filter` (see consul-filter.ts), `dc`/`ns`/`partition`,
 * consistency modes and agent caching headers, agent service registration with TTL, HTTP and
 * gRPC checks, TTL expiry, `DeregisterCriticalServiceAfter` reaping, maintenance mode, KV with
 * blocking reads, and ACL tokens. Test controls break it on purpose: outages, index resets,
 * index 0, malformed / truncated / huge bodies. Longer than our usual file because it is one
 * server's state and routes, read side by side.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { compileFilter, FilterError } from './consul-filter.js';
import { parseGoDuration } from './go-duration.js';

export type CheckStatus = 'passing' | 'warning' | 'critical';

interface Check {
  Node: string;
  CheckID: string;
  Name: string;
  Status: CheckStatus;
  Notes: string;
  Output: string;
  ServiceID: string;
  ServiceName: string;
  Type: string;
  Namespace: string;
  CreateIndex: number;
  ModifyIndex: number;
  ttlMs?: number | undefined;
  ttlTimer?: NodeJS.Timeout | undefined;
  probe?: NodeJS.Timeout | undefined;
  deregisterAfterMs?: number | undefined;
  criticalSince?: number | undefined;
  /** An HTTP check's target, probed by the double every interval. */
  Definition?: { HTTP: string; Interval: number } | undefined;
}

interface Instance {
  node: string;
  ID: string;
  Service: string;
  Tags: string[];
  Address: string;
  Meta: Record<string, string>;
  Port: number;
  Weights: { Passing: number; Warning: number };
  TaggedAddresses?: Record<string, { Address: string; Port: number }> | undefined;
  Namespace: string;
  Partition: string;
  CreateIndex: number;
  ModifyIndex: number;
}

interface NodeInfo {
  ID: string;
  Node: string;
  Address: string;
  Datacenter: string;
  TaggedAddresses: Record<string, string>;
  Meta: Record<string, string>;
}

interface KvEntry {
  value: Buffer | null;
  flags: number;
  createIndex: number;
  modifyIndex: number;
}

export interface LoggedRequest {
  readonly at: number;
  readonly method: string;
  readonly path: string;
  readonly query: URLSearchParams;
  readonly token: string | undefined;
  readonly body: string;
}

export type Corruption = 'malformed' | 'wrong-shape' | 'truncated' | 'huge' | '500';

export interface ConsulDoubleOptions {
  /** ACL token every request must carry; none means ACLs are off. */
  token?: string;
  datacenter?: string;
  /** Consul reaps critical services at least 1 minute after they went critical ... */
  minDeregisterMs?: number;
  /** ... on a reaper that runs every 30 s. Tests shorten both. */
  reapIntervalMs?: number;
  /** Serve HTTPS with this key and certificate; with `ca`, require client certificates from it (mTLS). */
  tls?: { key: string; cert: string; ca?: string };
  /** Listen on this unix socket instead of 127.0.0.1 port 0. */
  socketPath?: string;
}

const MAX_WAIT_MS = 600_000;
const DEFAULT_WAIT_MS = 300_000;

export class ConsulDouble {
  readonly server: Server;
  readonly datacenter: string;
  readonly log: LoggedRequest[] = [];
  readonly #token: string | undefined;
  readonly #minDeregisterMs: number;
  readonly #nodes = new Map<string, NodeInfo>();
  readonly #instances = new Map<string, Instance>(); // by `${node}/${ID}`
  readonly #checks = new Map<string, Check>(); // by CheckID (agent-local ids are unique here)
  readonly #kv = new Map<string, KvEntry>();
  /** Raft-style index: every write takes the next one. */
  #index = 10;
  readonly #resourceIndex = new Map<string, number>();
  readonly #waiters = new Set<{ resource: string; min: number; wake(): void }>();
  readonly #sockets = new Set<Socket>();
  readonly #cacheAge = new Map<string, number>();
  #reaper: NodeJS.Timeout;
  #port = 0;
  readonly #tls: boolean;
  readonly #socketPath: string | undefined;
  #outage: 'refuse' | '500' | 'hang' | false = false;
  #corrupt: { mode: Corruption; times: number; paths: RegExp } | undefined;
  #zeroIndex = false;
  #blockingOn = true;

  constructor(options: ConsulDoubleOptions = {}) {
    this.#token = options.token;
    this.datacenter = options.datacenter ?? 'dc1';
    this.#minDeregisterMs = options.minDeregisterMs ?? 60_000;
    const handler = (req: IncomingMessage, res: ServerResponse) => void this.#handle(req, res);
    const tls = options.tls;
    this.#tls = tls !== undefined;
    this.#socketPath = options.socketPath;
    // An https.Server is an http.Server as far as requests, connections and closing go.
    this.server = tls
      ? (createHttpsServer(
          {
            key: tls.key,
            cert: tls.cert,
            ...(tls.ca ? { ca: tls.ca, requestCert: true, rejectUnauthorized: true } : {}),
          },
          handler,
        ) as unknown as Server)
      : createServer(handler);
    this.server.on('connection', (socket: Socket) => {
      this.#sockets.add(socket);
      socket.on('close', () => this.#sockets.delete(socket));
    });
    this.#reaper = setInterval(() => this.#reap(), options.reapIntervalMs ?? 30_000);
    this.#reaper.unref();
    this.addNode('node-1', '127.0.0.1');
  }

  static async start(options: ConsulDoubleOptions = {}): Promise<ConsulDouble> {
    const double = new ConsulDouble(options);
    await double.#listen();
    return double;
  }

  async #listen(): Promise<void> {
    const path = this.#socketPath;
    if (path) {
      await new Promise<void>((resolve) => this.server.listen(path, resolve));
      return;
    }
    await new Promise<void>((resolve) => this.server.listen(this.#port, '127.0.0.1', resolve));
    this.#port = (this.server.address() as AddressInfo).port;
  }

  /** What `CONSUL_HTTP_ADDR` would hold: `http://127.0.0.1:<port>`, `https://...` or `unix://...`. */
  get address(): string {
    if (this.#socketPath) return `unix://${this.#socketPath}`;
    return `${this.#tls ? 'https' : 'http'}://127.0.0.1:${this.#port}`;
  }

  get index(): number {
    return this.#index;
  }

  /** Blocking queries being held right now. */
  get waiting(): number {
    return this.#waiters.size;
  }

  /** Resolves once at least `count` blocking queries are held (bounded: 5 s). */
  async untilWaiting(count = 1): Promise<void> {
    for (let i = 0; i < 500 && this.#waiters.size < count; i++)
      await new Promise((r) => setTimeout(r, 10));
    if (this.#waiters.size < count)
      throw new Error(`only ${this.#waiters.size} blocking queries held`);
  }

  async close(): Promise<void> {
    clearInterval(this.#reaper);
    for (const check of this.#checks.values()) this.#stopCheckTimers(check);
    for (const w of this.#waiters) w.wake();
    this.server.closeAllConnections();
    if (this.server.listening) await new Promise<void>((r) => this.server.close(() => r()));
  }

  // ---------------------------------------------------------------- test controls

  addNode(name: string, address: string): void {
    this.#nodes.set(name, {
      ID: randomUUID(),
      Node: name,
      Address: address,
      Datacenter: this.datacenter,
      TaggedAddresses: { lan: address, lan_ipv4: address, wan: address, wan_ipv4: address },
      Meta: { 'consul-network-segment': '' },
    });
  }

  /** Registers an instance directly in the catalog (another node's agent did it), with one service check. */
  addInstance(init: {
    id: string;
    name: string;
    port: number;
    address?: string;
    node?: string;
    tags?: string[];
    meta?: Record<string, string>;
    weights?: { Passing: number; Warning: number };
    status?: CheckStatus;
    namespace?: string;
    taggedAddresses?: Record<string, { Address: string; Port: number }>;
  }): void {
    const node = init.node ?? 'node-1';
    if (!this.#nodes.has(node)) this.addNode(node, init.address ?? '127.0.0.1');
    this.#register(
      {
        ID: init.id,
        Name: init.name,
        Port: init.port,
        Address: init.address ?? '',
        Tags: init.tags ?? [],
        Meta: init.meta ?? {},
        Weights: init.weights,
        Namespace: init.namespace,
        TaggedAddresses: init.taggedAddresses,
        Check: { CheckID: `service:${init.id}`, TTL: '87600h', Status: init.status ?? 'passing' },
      },
      node,
    );
  }

  /** Sets every check of an instance (or one check) to a status, as the agent would report it. */
  setHealth(serviceId: string, status: CheckStatus, checkId?: string): void {
    const checks = [...this.#checks.values()].filter((c) =>
      checkId ? c.CheckID === checkId : c.ServiceID === serviceId,
    );
    if (checks.length === 0) throw new Error(`no check for ${serviceId}`);
    for (const c of checks) this.#setStatus(c, status, c.Output);
  }

  removeInstance(serviceId: string, node = 'node-1'): void {
    this.#deregister(serviceId, node);
  }

  /**
   * `refuse`: the port stops listening (connection refused); `500`: every request is a 500;
   * `hang`: requests are read and never answered (a wedged agent); false: back.
   */
  async outage(mode: 'refuse' | '500' | 'hang' | false): Promise<void> {
    const was = this.#outage;
    this.#outage = mode;
    if (mode === 'refuse' && was !== 'refuse') {
      for (const w of this.#waiters) w.wake();
      this.server.closeAllConnections();
      for (const s of this.#sockets) s.destroy();
      await new Promise<void>((r) => this.server.close(() => r()));
    } else if (mode !== 'refuse' && was === 'refuse') {
      await this.#listen();
    }
  }

  /** The next `times` reads of matching paths answer with a broken body (index headers intact). */
  corrupt(mode: Corruption, times = 1, paths = /^\/v1\/(health|kv)\//): void {
    this.#corrupt = { mode, times, paths };
  }

  /** The Consul bug the docs warn of: every blocking endpoint answers at once with index 0. */
  zeroIndex(on: boolean): void {
    this.#zeroIndex = on;
    for (const w of this.#waiters) w.wake();
  }

  /** false: blocking queries answer at once with an unchanged index (a misbehaving proxy or agent). */
  blocking(on: boolean): void {
    this.#blockingOn = on;
    for (const w of this.#waiters) w.wake();
  }

  /**
   * A restore from an older snapshot (or a new leader behind the old one): every index drops by
   * `by`, and blocking queries in flight return at once, as Consul aborts them on a restore.
   */
  rewind(by: number): void {
    this.#index = Math.max(1, this.#index - by);
    for (const [k, v] of this.#resourceIndex) this.#resourceIndex.set(k, Math.max(1, v - by));
    for (const w of [...this.#waiters]) w.wake();
  }

  putKv(key: string, value: string): void {
    this.#putKv(key, Buffer.from(value), 0);
  }

  deleteKv(key: string): void {
    this.#kv.delete(key);
    this.#touch(`kv:${key}`, 'kv:');
  }

  /** The instances of a service as the catalog has them, with their worst check status. */
  instances(name: string): { id: string; node: string; status: CheckStatus }[] {
    return [...this.#instances.values()]
      .filter((s) => s.Service === name)
      .map((s) => ({ id: s.ID, node: s.node, status: this.#worst(this.#checksOf(s)) }));
  }

  check(checkId: string): Readonly<Check> | undefined {
    return this.#checks.get(checkId);
  }

  requests(pattern: RegExp, method?: string): LoggedRequest[] {
    return this.log.filter((r) => pattern.test(r.path) && (!method || r.method === method));
  }

  // ---------------------------------------------------------------- state

  #next(): number {
    this.#index++;
    return this.#index;
  }

  /** Marks a resource (and optionally a table) changed at a new index and wakes its waiters. */
  #touch(resource: string, table?: string): number {
    const index = this.#next();
    this.#resourceIndex.set(resource, index);
    if (table) this.#resourceIndex.set(table, index);
    for (const w of [...this.#waiters]) {
      if ((w.resource === resource || w.resource === table) && index > w.min) w.wake();
    }
    return index;
  }

  #indexOf(resource: string): number {
    if (this.#zeroIndex) return 0;
    return (
      this.#resourceIndex.get(resource) ??
      this.#resourceIndex.get(resource.startsWith('kv:') ? 'kv:' : '') ??
      1
    );
  }

  #register(def: Record<string, unknown>, node: string): { status: number; body: string } {
    const name = def.Name;
    if (typeof name !== 'string' || name === '')
      return { status: 400, body: 'Missing service name' };
    const id = typeof def.ID === 'string' && def.ID !== '' ? def.ID : name;
    const port = def.Port ?? 0;
    if (typeof port !== 'number') return { status: 400, body: 'Request decode failed: Port' };
    const checkDefs = [
      ...(def.Check ? [def.Check as Record<string, unknown>] : []),
      ...((def.Checks as Record<string, unknown>[] | undefined) ?? []),
    ];
    const parsed: Check[] = [];
    for (const [i, c] of checkDefs.entries()) {
      const ttl = typeof c.TTL === 'string' ? parseGoDuration(c.TTL) : undefined;
      const interval = typeof c.Interval === 'string' ? parseGoDuration(c.Interval) : undefined;
      const kind = ttl !== undefined ? 'ttl' : c.HTTP ? 'http' : c.GRPC ? 'grpc' : undefined;
      if (!kind)
        return {
          status: 400,
          body: 'Invalid check: TTL must be > 0 for TTL checks, or a script, HTTP, TCP or gRPC check is needed',
        };
      if ((kind === 'http' || kind === 'grpc') && !(interval && interval > 0)) {
        return {
          status: 400,
          body: 'Invalid check: Interval must be > 0 for Script, HTTP, H2PING, TCP or UDP checks',
        };
      }
      const dereg =
        typeof c.DeregisterCriticalServiceAfter === 'string'
          ? parseGoDuration(c.DeregisterCriticalServiceAfter)
          : undefined;
      const status = (c.Status as CheckStatus | undefined) ?? 'critical';
      if (!['passing', 'warning', 'critical'].includes(status))
        return { status: 400, body: `Invalid check status: "${status}"` };
      const checkId =
        (c.CheckID as string | undefined) ||
        (checkDefs.length === 1 ? `service:${id}` : `service:${id}:${i + 1}`);
      parsed.push({
        Node: node,
        CheckID: checkId,
        Name: (c.Name as string | undefined) || `Service '${name}' check`,
        Status: status,
        Notes: (c.Notes as string | undefined) ?? '',
        Output: '',
        ServiceID: id,
        ServiceName: name,
        Type: kind,
        Namespace: (def.Namespace as string | undefined) ?? 'default',
        CreateIndex: 0,
        ModifyIndex: 0,
        ttlMs: ttl,
        deregisterAfterMs: dereg,
        criticalSince: status === 'critical' ? Date.now() : undefined,
      });
      if (kind === 'http')
        parsed.at(-1)!.Definition = { HTTP: String(c.HTTP), Interval: interval! };
    }
    const key = `${node}/${id}`;
    const existing = this.#instances.get(key);
    for (const c of this.#checks.values()) {
      if (c.ServiceID === id && c.Node === node) {
        this.#stopCheckTimers(c);
        this.#checks.delete(c.CheckID);
      }
    }
    const index = this.#touch(`service:${name}`, 'services');
    const weights = def.Weights as { Passing: number; Warning: number } | undefined;
    this.#instances.set(key, {
      node,
      ID: id,
      Service: name,
      Tags: (def.Tags as string[] | undefined) ?? [],
      Address: (def.Address as string | undefined) ?? '',
      Meta: (def.Meta as Record<string, string> | undefined) ?? {},
      Port: port,
      Weights: weights ?? { Passing: 1, Warning: 1 },
      TaggedAddresses: def.TaggedAddresses as Instance['TaggedAddresses'],
      Namespace: (def.Namespace as string | undefined) ?? 'default',
      Partition: (def.Partition as string | undefined) ?? 'default',
      CreateIndex: existing?.CreateIndex ?? index,
      ModifyIndex: index,
    });
    for (const c of parsed) {
      c.CreateIndex = index;
      c.ModifyIndex = index;
      this.#checks.set(c.CheckID, c);
      this.#armCheck(c);
    }
    return { status: 200, body: '' };
  }

  #armCheck(c: Check): void {
    if (c.Type === 'ttl' && c.ttlMs !== undefined && c.ttlMs < 3_600_000) {
      c.ttlTimer = setTimeout(() => this.#setStatus(c, 'critical', `TTL expired`), c.ttlMs);
      c.ttlTimer.unref();
    }
    const def = c.Definition;
    if (c.Type === 'http' && def) {
      c.probe = setInterval(() => {
        fetch(def.HTTP, { signal: AbortSignal.timeout(10_000) })
          .then((r) => {
            void r.body?.cancel();
            this.#setStatus(
              c,
              r.ok ? 'passing' : r.status === 429 ? 'warning' : 'critical',
              `HTTP GET ${def.HTTP}: ${r.status}`,
            );
          })
          .catch((e: unknown) =>
            this.#setStatus(c, 'critical', `HTTP GET ${def.HTTP}: ${(e as Error).message}`),
          );
      }, def.Interval);
      c.probe.unref();
    }
  }

  #stopCheckTimers(c: Check): void {
    clearTimeout(c.ttlTimer);
    clearInterval(c.probe);
  }

  #setStatus(c: Check, status: CheckStatus, output: string): void {
    if (c.Type === 'ttl' && c.ttlMs !== undefined && c.ttlMs < 3_600_000) {
      clearTimeout(c.ttlTimer);
      c.ttlTimer = setTimeout(() => this.#setStatus(c, 'critical', 'TTL expired'), c.ttlMs);
      c.ttlTimer.unref();
    }
    if (status === 'critical' && c.Status !== 'critical') c.criticalSince = Date.now();
    if (status !== 'critical') c.criticalSince = undefined;
    // Consul writes a check only when its status or output changes: heartbeats are free.
    if (c.Status === status && c.Output === output) return;
    c.Status = status;
    c.Output = output;
    if (!this.#checks.has(c.CheckID)) return;
    c.ModifyIndex = this.#touch(`service:${c.ServiceName}`, 'services');
  }

  #deregister(id: string, node: string): boolean {
    const instance = this.#instances.get(`${node}/${id}`);
    if (!instance) return false;
    this.#instances.delete(`${node}/${id}`);
    for (const c of [...this.#checks.values()]) {
      if (c.ServiceID === id && c.Node === node) {
        this.#stopCheckTimers(c);
        this.#checks.delete(c.CheckID);
      }
    }
    this.#touch(`service:${instance.Service}`, 'services');
    return true;
  }

  #reap(): void {
    const now = Date.now();
    for (const c of [...this.#checks.values()]) {
      if (c.deregisterAfterMs === undefined || c.criticalSince === undefined) continue;
      if (now - c.criticalSince >= Math.max(c.deregisterAfterMs, this.#minDeregisterMs)) {
        this.#deregister(c.ServiceID, c.Node);
      }
    }
  }

  #checksOf(s: Instance): Check[] {
    return [...this.#checks.values()].filter((c) => c.ServiceID === s.ID && c.Node === s.node);
  }

  #worst(checks: Check[]): CheckStatus {
    if (checks.some((c) => c.Status === 'critical')) return 'critical';
    return checks.some((c) => c.Status === 'warning') ? 'warning' : 'passing';
  }

  #putKv(key: string, value: Buffer | null, flags: number): void {
    const existing = this.#kv.get(key);
    const index = this.#touch(`kv:${key}`, 'kv:');
    this.#kv.set(key, {
      value,
      flags,
      createIndex: existing?.createIndex ?? index,
      modifyIndex: index,
    });
  }

  // ---------------------------------------------------------------- HTTP

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://consul');
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    const auth = req.headers.authorization;
    const token =
      (req.headers['x-consul-token'] as string | undefined) ??
      (auth?.startsWith('Bearer ') ? auth.slice(7) : undefined) ??
      (url.searchParams.get('token') || undefined);
    this.log.push({
      at: performance.now(),
      method: req.method ?? 'GET',
      path: decodeURIComponent(url.pathname),
      query: url.searchParams,
      token,
      body,
    });
    if (this.#outage === '500') return send(res, 500, 'rpc error making call: No cluster leader');
    if (this.#outage === 'hang') return;
    if (this.#token !== undefined && token !== this.#token) {
      return send(res, 403, token === undefined ? 'Permission denied' : 'ACL not found');
    }
    const dc = url.searchParams.get('dc');
    if (dc && dc !== this.datacenter) return send(res, 500, `No path to datacenter`);
    const path = url.pathname;
    const method = req.method ?? 'GET';
    const health = method === 'GET' ? /^\/v1\/health\/service\/([^/]+)$/.exec(path) : null;
    if (health) {
      const name = decodeURIComponent(health[1]!);
      return this.#blocking(req, res, url, `service:${name}`, () => this.#healthBody(name, url));
    }
    const kv = /^\/v1\/kv\/(.+)$/.exec(path);
    if (kv) {
      const key = decodeURIComponent(kv[1]!);
      if (method === 'GET') {
        return this.#blocking(req, res, url, `kv:${key}`, () => this.#kvBody(key, url));
      }
      if (method === 'PUT') {
        this.#putKv(key, Buffer.from(body), Number(url.searchParams.get('flags') ?? 0));
        return send(res, 200, 'true', 'application/json');
      }
      if (method === 'DELETE') {
        this.deleteKv(key);
        return send(res, 200, 'true', 'application/json');
      }
    }
    if (method !== 'PUT') return send(res, 405, 'method not allowed');
    if (path === '/v1/agent/service/register') {
      let def: unknown;
      try {
        def = JSON.parse(body);
      } catch (error) {
        return send(res, 400, `Request decode failed: ${(error as Error).message}`);
      }
      const r = this.#register(def as Record<string, unknown>, 'node-1');
      return send(res, r.status, r.body);
    }
    const deregister = /^\/v1\/agent\/service\/deregister\/(.+)$/.exec(path);
    if (deregister) {
      const id = decodeURIComponent(deregister[1]!);
      return this.#deregister(id, 'node-1')
        ? send(res, 200, '')
        : send(
            res,
            404,
            `Unknown service ID "${id}". Ensure that the service ID is passed, not the service name.`,
          );
    }
    const maintenance = /^\/v1\/agent\/service\/maintenance\/(.+)$/.exec(path);
    if (maintenance) return this.#maintenance(decodeURIComponent(maintenance[1]!), url, res);
    const check = /^\/v1\/agent\/check\/(pass|warn|fail|update)\/(.+)$/.exec(path);
    if (check) return this.#updateCheck(check[1]!, decodeURIComponent(check[2]!), url, body, res);
    send(res, 404, `Invalid URL path: not a recognized HTTP API endpoint`);
  }

  #updateCheck(verb: string, id: string, url: URL, body: string, res: ServerResponse) {
    const c = this.#checks.get(id);
    if (!c)
      return send(
        res,
        404,
        `Unknown check ID "${id}". Ensure that the check ID is passed, not the check name.`,
      );
    if (c.Type !== 'ttl') return send(res, 500, `CheckID "${id}" does not have associated TTL`);
    let status: CheckStatus;
    let output = url.searchParams.get('note') ?? '';
    if (verb === 'update') {
      let parsed: { Status?: string; Output?: string };
      try {
        parsed = JSON.parse(body) as typeof parsed;
      } catch (error) {
        return send(res, 400, `Request decode failed: ${(error as Error).message}`);
      }
      if (!['passing', 'warning', 'critical'].includes(parsed.Status ?? '')) {
        return send(res, 400, `Invalid check status: "${parsed.Status}"`);
      }
      status = parsed.Status as CheckStatus;
      output = parsed.Output ?? '';
    } else {
      status = verb === 'pass' ? 'passing' : verb === 'warn' ? 'warning' : 'critical';
    }
    this.#setStatus(c, status, output);
    send(res, 200, '');
  }

  #maintenance(id: string, url: URL, res: ServerResponse) {
    const instance = this.#instances.get(`node-1/${id}`);
    if (!instance) return send(res, 404, `Unknown service ID "${id}"`);
    const enable = url.searchParams.get('enable');
    if (enable !== 'true' && enable !== 'false') return send(res, 400, 'Missing value for enable');
    const checkId = `_service_maintenance:${id}`;
    if (enable === 'true' && !this.#checks.has(checkId)) {
      const index = this.#touch(`service:${instance.Service}`, 'services');
      this.#checks.set(checkId, {
        Node: 'node-1',
        CheckID: checkId,
        Name: 'Service Maintenance Mode',
        Status: 'critical',
        Notes: url.searchParams.get('reason') || 'Maintenance mode is enabled for this service',
        Output: '',
        ServiceID: id,
        ServiceName: instance.Service,
        Type: 'maintenance',
        Namespace: instance.Namespace,
        CreateIndex: index,
        ModifyIndex: index,
        criticalSince: Date.now(),
      });
    } else if (enable === 'false' && this.#checks.delete(checkId)) {
      this.#touch(`service:${instance.Service}`, 'services');
    }
    send(res, 200, '');
  }

  #healthBody(name: string, url: URL): { status: number; body: string } {
    const q = url.searchParams;
    let filter: ((subject: unknown) => boolean) | undefined;
    const expression = q.get('filter');
    if (expression) {
      try {
        filter = compileFilter(expression);
      } catch (error) {
        if (error instanceof FilterError) {
          return {
            status: 400,
            body: `Failed to create boolean expression evaluator: ${error.message}`,
          };
        }
        throw error;
      }
    }
    const passing = q.has('passing') && !/^(0|false)$/i.test(q.get('passing') ?? '');
    const tags = q.getAll('tag');
    const ns = q.get('ns') || 'default';
    const partition = q.get('partition') || 'default';
    const entries = [...this.#instances.values()]
      .filter((s) => s.Service === name && s.Namespace === ns && s.Partition === partition)
      .filter((s) => tags.every((t) => s.Tags.includes(t)))
      .map((s) => this.#entry(s))
      .filter((e) => !passing || e.Checks.every((c) => c.Status === 'passing'))
      .filter((e) => !filter || filter(e));
    return { status: 200, body: JSON.stringify(entries) };
  }

  #entry(s: Instance) {
    const node = this.#nodes.get(s.node)!;
    const serf = {
      Node: s.node,
      CheckID: 'serfHealth',
      Name: 'Serf Health Status',
      Status: 'passing',
      Notes: '',
      Output: 'Agent alive and reachable',
      ServiceID: '',
      ServiceName: '',
      ServiceTags: [],
      Type: '',
      Namespace: 'default',
      CreateIndex: 1,
      ModifyIndex: 1,
    };
    return {
      Node: { ...node, CreateIndex: 1, ModifyIndex: 1 },
      Service: {
        ID: s.ID,
        Service: s.Service,
        Tags: s.Tags,
        Address: s.Address,
        TaggedAddresses: s.TaggedAddresses,
        Meta: s.Meta,
        Port: s.Port,
        Weights: s.Weights,
        EnableTagOverride: false,
        Proxy: { Mode: '', MeshGateway: {}, Expose: {} },
        Connect: {},
        Namespace: s.Namespace,
        Partition: s.Partition,
        CreateIndex: s.CreateIndex,
        ModifyIndex: s.ModifyIndex,
      },
      Checks: [
        serf,
        ...this.#checksOf(s).map((c) => ({
          Node: c.Node,
          CheckID: c.CheckID,
          Name: c.Name,
          Status: c.Status,
          Notes: c.Notes,
          Output: c.Output,
          ServiceID: c.ServiceID,
          ServiceName: c.ServiceName,
          ServiceTags: s.Tags,
          Type: c.Type === 'maintenance' ? '' : c.Type,
          Namespace: c.Namespace,
          CreateIndex: c.CreateIndex,
          ModifyIndex: c.ModifyIndex,
        })),
      ],
    };
  }

  #kvBody(key: string, url: URL): { status: number; body: string; raw?: boolean } {
    const entry = this.#kv.get(key);
    if (!entry) return { status: 404, body: '' };
    if (url.searchParams.has('raw'))
      return { status: 200, body: entry.value?.toString('utf8') ?? '', raw: true };
    return {
      status: 200,
      body: JSON.stringify([
        {
          LockIndex: 0,
          Key: key,
          Flags: entry.flags,
          Value: entry.value === null ? null : entry.value.toString('base64'),
          CreateIndex: entry.createIndex,
          ModifyIndex: entry.modifyIndex,
        },
      ]),
    };
  }

  /** Consul's blocking-query contract around any read. */
  async #blocking(
    req: IncomingMessage,
    res: ServerResponse,
    url: URL,
    resource: string,
    read: () => { status: number; body: string; raw?: boolean },
  ): Promise<void> {
    const q = url.searchParams;
    const min = Number(q.get('index') ?? 0);
    if (
      this.#blockingOn &&
      !this.#zeroIndex &&
      Number.isFinite(min) &&
      min > 0 &&
      this.#indexOf(resource) <= min
    ) {
      const asked = q.has('wait') ? parseGoDuration(q.get('wait')!) : DEFAULT_WAIT_MS;
      if (asked === undefined) return send(res, 400, `Invalid wait time`);
      const wait = Math.min(asked || DEFAULT_WAIT_MS, MAX_WAIT_MS);
      // Consul adds up to wait/16 so that many watchers do not all wake at once.
      const jittered = wait + Math.random() * (wait / 16);
      await new Promise<void>((resolve) => {
        const waiter = { resource, min, wake: () => done() };
        const timer = setTimeout(() => done(), jittered);
        const onClose = () => done();
        const done = () => {
          clearTimeout(timer);
          this.#waiters.delete(waiter);
          req.socket.off('close', onClose);
          resolve();
        };
        this.#waiters.add(waiter);
        req.socket.on('close', onClose);
      });
      if (res.destroyed || req.socket.destroyed) return;
    }
    if (this.#outage === '500') return send(res, 500, 'rpc error making call: No cluster leader');
    const index = this.#indexOf(resource);
    res.setHeader('X-Consul-Index', String(index));
    res.setHeader('X-Consul-KnownLeader', 'true');
    res.setHeader('X-Consul-LastContact', '0');
    res.setHeader(
      'X-Consul-Effective-Consistency',
      q.has('stale') ? 'stale' : q.has('consistent') ? 'consistent' : 'leader',
    );
    if (q.has('cached')) {
      const key = url.pathname + url.search.replace(/[?&](index|wait)=[^&]*/g, '');
      const seen = this.#cacheAge.get(key);
      res.setHeader('X-Cache', seen === index ? 'HIT' : 'MISS');
      res.setHeader('Age', '0');
      this.#cacheAge.set(key, index);
    }
    const corrupt = this.#corrupt;
    if (corrupt?.paths.test(url.pathname) && corrupt.times > 0) {
      corrupt.times--;
      if (corrupt.times === 0) this.#corrupt = undefined;
      return writeCorrupt(res, corrupt.mode);
    }
    const { status, body, raw } = read();
    send(res, status, body, raw ? 'text/plain; charset=utf-8' : 'application/json');
  }
}

function send(
  res: ServerResponse,
  status: number,
  body: string,
  type = 'text/plain; charset=utf-8',
): void {
  if (res.headersSent || res.destroyed) return;
  res.statusCode = status;
  res.setHeader('Content-Type', type);
  res.end(body);
}

function writeCorrupt(res: ServerResponse, mode: Corruption) {
  if (mode === '500') return send(res, 500, 'Internal Server Error');
  if (mode === 'malformed')
    return send(res, 200, '[{"Node":{"Node":"n1","Address":', 'application/json');
  if (mode === 'wrong-shape') return send(res, 200, '{"Nodes":"none"}', 'application/json');
  res.setHeader('Content-Type', 'application/json');
  if (mode === 'truncated') {
    const full = '[{"Node":{"Node":"n1","Address":"127.0.0.1"},"Service":{"ID":"x","Port":1}}]';
    res.setHeader('Content-Length', String(full.length));
    res.write(full.slice(0, 20));
    setTimeout(() => res.destroy(), 10).unref();
    return;
  }
  // huge: 50 MB of a syntactically plausible array, written as fast as the client reads it.
  const chunk = Buffer.from(
    `${'{"Node":{"Node":"n","Address":"127.0.0.1"},"Service":{"ID":"x","Port":1}},'.repeat(800)}`,
  );
  let left = 50 * 1024 * 1024;
  res.write('[');
  const pump = (): void => {
    while (left > 0 && !res.destroyed) {
      left -= chunk.length;
      if (!res.write(chunk)) return void res.once('drain', pump);
    }
    if (!res.destroyed) res.end('{}]');
  };
  res.on('close', () => {
    left = 0;
  });
  pump();
}
