import { type Endpoint, endpoint } from '@outrigger/core';

/** The part of one `/v1/health/service/:name` entry that discovery reads (Consul's documented shape). */
export interface ConsulHealthEntry {
  Node: { Node: string; Address: string; Datacenter?: string };
  Service: {
    ID: string;
    Service: string;
    Address: string;
    Port: number;
    Tags?: string[] | null;
    Meta?: Record<string, string> | null;
    Weights?: { Passing: number; Warning: number };
  };
  Checks?: { Status: 'passing' | 'warning' | 'critical' | 'maintenance' }[];
}

/**
 * Consul entries to endpoints: the service address falls back to the node's (as Consul's DNS
 * interface does), the passing weight becomes the endpoint weight, tags and meta become
 * metadata, and a `zone` meta key (else the datacenter) the zone.
 */
export function endpointsFromHealth(entries: readonly ConsulHealthEntry[]): Endpoint[] {
  return entries.map((entry) => {
    const meta = entry.Service.Meta ?? {};
    const metadata: Record<string, string> = { ...meta, node: entry.Node.Node };
    const tags = entry.Service.Tags ?? [];
    if (tags.length > 0) metadata.tags = tags.join(',');
    return endpoint({
      id: entry.Service.ID,
      host: entry.Service.Address || entry.Node.Address,
      port: entry.Service.Port,
      weight: entry.Service.Weights?.Passing ?? 1,
      zone: meta.zone ?? entry.Node.Datacenter,
      metadata,
    });
  });
}
