/** One instance of a service, as discovery reports it. Immutable. */
export interface Endpoint {
  /** Stable across discovery updates for the same instance: `host:port` unless the source has its own id. */
  readonly id: string;
  readonly host: string;
  readonly port: number;
  /** Relative share of traffic, > 0; 1 unless the source says otherwise. */
  readonly weight: number;
  readonly zone: string | undefined;
  /** Tags, labels, version: what routes select subsets by. */
  readonly metadata: Readonly<Record<string, string>>;
}

export interface EndpointInit {
  host: string;
  port: number;
  id?: string;
  weight?: number;
  zone?: string | undefined;
  metadata?: Record<string, string>;
}

export function endpoint(init: EndpointInit): Endpoint {
  return Object.freeze({
    id: init.id ?? `${init.host}:${init.port}`,
    host: init.host,
    port: init.port,
    weight: init.weight ?? 1,
    zone: init.zone,
    metadata: Object.freeze({ ...init.metadata }),
  });
}

const HOST_PORT = /^(?:\[([0-9a-fA-F:.]+)\]|([A-Za-z0-9.-]+)):(\d{1,5})$/;

/** Parses `host:port` or `[v6]:port`; undefined when malformed. */
export function parseHostPort(text: string): { host: string; port: number } | undefined {
  const match = HOST_PORT.exec(text.trim());
  if (!match) return undefined;
  const port = Number(match[3]);
  if (port < 1 || port > 65_535) return undefined;
  return { host: (match[1] ?? match[2])!, port };
}
