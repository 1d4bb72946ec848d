import { type Endpoint, endpoint } from '@outrigger/core';

export { parseHealthBody } from './health-body.js';

export type ConsulCheckStatus = 'passing' | 'warning' | 'critical' | 'maintenance';

/** The part of one `/v1/health/service/:name` entry that discovery reads (Consul's documented shape). */
export interface ConsulHealthEntry {
  Node: {
    Node: string;
    Address: string;
    Datacenter?: string | undefined;
    TaggedAddresses?: Record<string, string> | null | undefined;
  };
  Service: {
    ID: string;
    Service: string;
    Address: string;
    Port: number;
    Tags?: string[] | null | undefined;
    Meta?: Record<string, string> | null | undefined;
    Weights?: { Passing: number; Warning: number } | undefined;
    /** PascalCase as Consul serves it; lowercase as its docs print the register payload. */
    TaggedAddresses?:
      | Record<string, { Address?: string; Port?: number; address?: string; port?: number }>
      | null
      | undefined;
  };
  Checks?: { Status: ConsulCheckStatus | string }[] | null | undefined;
}

export interface MappingOptions {
  /** Keep instances whose worst check is `warning` (at `Weights.Warning`). Default false. */
  includeWarning: boolean;
  /** Use this tagged address (`lan_ipv4`, `wan`...) when the service or node has one. */
  taggedAddress: string | undefined;
  /** The `Service.Meta` key holding the instance's zone. Default `zone`. */
  zoneMetaKey: string;
}

/** Something to dial: no spaces or control characters, not empty. */
const DIALABLE_HOST = {
  test: (host: string): boolean => {
    if (host.length === 0 || /\s/.test(host)) return false;
    for (let i = 0; i < host.length; i++) if (host.charCodeAt(i) < 0x20) return false;
    return true;
  },
};

const DEFAULTS: MappingOptions = {
  includeWarning: false,
  taggedAddress: undefined,
  zoneMetaKey: 'zone',
};

/**
 * Consul entries to endpoints. The address is `Service.Address`, falling back to
 * `Node.Address` as Consul's DNS interface does (a tagged address first, when asked); the
 * weight is `Weights.Passing`, or `Weights.Warning` for an instance with a warning check, and an
 * instance weighted 0 is left out, as Consul's DNS does. `Service.Meta` becomes the metadata
 * as it is (so a route splits by `version`), beside `consul.node`, `consul.datacenter`,
 * `consul.tags` (comma-joined) and `tag:<tag>` = `true` per tag. Ids are `node/serviceId`, as a
 * service ID is only unique on its node. Sorted by id, so Consul's order is not a change.
 */
export function endpointsFromHealth(
  entries: readonly ConsulHealthEntry[],
  options: Partial<MappingOptions> = {},
): Endpoint[] {
  const o = { ...DEFAULTS, ...options };
  const out: Endpoint[] = [];
  const ids = new Set<string>();
  for (const entry of entries) {
    const status = aggregateStatus(entry.Checks);
    if (status === 'critical' || status === 'maintenance') continue;
    if (status === 'warning' && !o.includeWarning) continue;
    const weights = entry.Service.Weights;
    const weight = (status === 'warning' ? weights?.Warning : weights?.Passing) ?? 1;
    // Registered, but nothing a transport can dial or a balancer can weigh: left out, so one bad
    // registration does not blind the watch to the rest.
    if (!(Number.isFinite(weight) && weight > 0)) continue;
    const { host, port } = addressOf(entry, o.taggedAddress);
    if (!DIALABLE_HOST.test(host) || !Number.isInteger(port) || port < 1 || port > 65_535) continue;
    const id = `${entry.Node.Node}/${entry.Service.ID}`;
    if (ids.has(id)) continue;
    ids.add(id);
    const meta = entry.Service.Meta ?? {};
    const metadata: Record<string, string> = { ...meta, 'consul.node': entry.Node.Node };
    if (entry.Node.Datacenter) metadata['consul.datacenter'] = entry.Node.Datacenter;
    const tags = entry.Service.Tags ?? [];
    if (tags.length > 0) metadata['consul.tags'] = tags.join(',');
    for (const tag of tags) metadata[`tag:${tag}`] = 'true';
    out.push(
      endpoint({ id, host, port, weight, zone: meta[o.zoneMetaKey] || undefined, metadata }),
    );
  }
  return out.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/** The worst of an entry's checks (node and service), as Consul's `passing` filter judges it. */
export function aggregateStatus(checks: ConsulHealthEntry['Checks']): ConsulCheckStatus {
  let worst: ConsulCheckStatus = 'passing';
  for (const check of checks ?? []) {
    if (check.Status === 'maintenance') return 'maintenance';
    if (check.Status === 'critical') worst = 'critical';
    else if (check.Status === 'warning' && worst === 'passing') worst = 'warning';
    else if (check.Status !== 'passing' && check.Status !== 'warning') worst = 'critical';
  }
  return worst;
}

function addressOf(entry: ConsulHealthEntry, tagged: string | undefined) {
  const { Service, Node } = entry;
  if (tagged) {
    const own = Service.TaggedAddresses?.[tagged];
    const ownHost = own?.Address || own?.address;
    if (ownHost) return { host: ownHost, port: own?.Port || own?.port || Service.Port };
    const node = Node.TaggedAddresses?.[tagged];
    if (node) return { host: node, port: Service.Port };
  }
  return { host: Service.Address || Node.Address, port: Service.Port };
}
