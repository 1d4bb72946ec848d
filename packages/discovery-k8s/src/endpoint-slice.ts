import { isIPv4, isIPv6 } from 'node:net';
import type { PortSelector } from './service-name.js';

/** The label the EndpointSlice controller puts on every slice of a Service. */
export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';

/**
 * The fields of a `discovery.k8s.io/v1` EndpointSlice that discovery reads, as the API serves
 * them (JSON from a watch, or client-node's model objects from a list: same field names).
 * Everything is optional because nothing from the wire is trusted.
 */
export interface EndpointSliceLike {
  metadata?: {
    name?: string | undefined;
    namespace?: string | undefined;
    resourceVersion?: string | undefined;
    labels?: Record<string, string> | undefined;
  };
  addressType?: string | undefined;
  endpoints?: readonly EndpointLike[] | null | undefined;
  ports?: readonly { name?: string | null; port?: number | null }[] | null | undefined;
}

export interface EndpointLike {
  addresses?: readonly string[] | null | undefined;
  conditions?:
    | { ready?: boolean | null; serving?: boolean | null; terminating?: boolean | null }
    | null
    | undefined;
  zone?: string | null | undefined;
  nodeName?: string | null | undefined;
  hints?: { forZones?: readonly { name?: string }[] | null } | null | undefined;
  targetRef?: { kind?: string; name?: string } | null | undefined;
}

/** One address of one slice, with what the API said about it. */
export interface SliceEntry {
  readonly host: string;
  readonly port: number;
  /** The API's nil rules applied: ready and serving default to true, terminating to false. */
  readonly ready: boolean;
  readonly serving: boolean;
  readonly terminating: boolean;
  readonly zone: string | undefined;
  readonly forZones: readonly string[];
  readonly pod: string | undefined;
  readonly node: string | undefined;
}

/** A slice discovery cannot use; the message names it and says what was wrong. */
export class SliceError extends Error {
  readonly slice: string;
  constructor(slice: string, problem: string) {
    super(`EndpointSlice ${slice}: ${problem}`);
    this.name = 'SliceError';
    this.slice = slice;
  }
}

/** `namespace/name`, or a placeholder that still says which object was nameless. */
export function sliceName(slice: EndpointSliceLike): string {
  const name = slice.metadata?.name;
  const ns = slice.metadata?.namespace;
  if (typeof name !== 'string' || name.length === 0) return '<unnamed>';
  return ns ? `${ns}/${name}` : name;
}

/**
 * The entries of one slice of `service` for the selected port, or a `SliceError`. A slice with no
 * endpoints is valid whatever its ports (the controller writes one for a Service with no pods);
 * one with endpoints must have the port, since its pods would otherwise be unreachable.
 */
export function readSlice(
  slice: EndpointSliceLike,
  service: string,
  port: PortSelector | undefined,
): SliceEntry[] {
  const name = sliceName(slice);
  if (typeof slice !== 'object' || slice === null) throw new SliceError(name, 'not an object');
  if (name === '<unnamed>') throw new SliceError(name, 'has no metadata.name');
  const label = slice.metadata?.labels?.[SERVICE_NAME_LABEL];
  if (label !== service) {
    throw new SliceError(
      name,
      label === undefined
        ? `has no ${SERVICE_NAME_LABEL} label (expected "${service}")`
        : `is labelled ${SERVICE_NAME_LABEL}=${label}, not "${service}"`,
    );
  }
  const family = slice.addressType;
  if (family !== 'IPv4' && family !== 'IPv6') {
    throw new SliceError(
      name,
      `addressType ${String(family)} is not supported (IPv4 and IPv6 are; an FQDN slice names hosts, not pods, and is left to DNS)`,
    );
  }
  const endpoints = slice.endpoints ?? [];
  if (!Array.isArray(endpoints)) throw new SliceError(name, 'endpoints is not a list');
  if (endpoints.length === 0) return [];
  const portNumber = pickPort(slice, name, port);
  const valid = family === 'IPv4' ? isIPv4 : isIPv6;
  const out: SliceEntry[] = [];
  for (const e of endpoints as readonly EndpointLike[]) {
    const host = Array.isArray(e?.addresses) ? e.addresses[0] : undefined;
    // Every address of an endpoint is the same pod (the API calls them fungible): one is enough.
    if (typeof host !== 'string' || !valid(host)) {
      throw new SliceError(
        name,
        `endpoint address ${JSON.stringify(host ?? null)} is not an ${family} address`,
      );
    }
    const c = e.conditions ?? {};
    out.push({
      host,
      port: portNumber,
      ready: c.ready ?? true,
      serving: c.serving ?? true,
      terminating: c.terminating ?? false,
      zone: typeof e.zone === 'string' && e.zone.length > 0 ? e.zone : undefined,
      forZones: (e.hints?.forZones ?? [])
        .map((z) => z?.name)
        .filter((z): z is string => typeof z === 'string' && z.length > 0),
      pod: e.targetRef?.name || undefined,
      node: e.nodeName || undefined,
    });
  }
  return out;
}

function pickPort(slice: EndpointSliceLike, name: string, port: PortSelector | undefined): number {
  const ports = Array.isArray(slice.ports) ? slice.ports : [];
  const shown = ports.map((p) => `${p.name || '(unnamed)'}=${p.port ?? 'all'}`).join(', ');
  let chosen: { name?: string | null; port?: number | null } | undefined;
  if (port === undefined) {
    if (ports.length > 1) {
      throw new SliceError(
        name,
        `has several ports (${shown}): name one with the port option or "service:port"`,
      );
    }
    chosen = ports[0];
  } else if (typeof port === 'number') {
    chosen = ports.find((p) => p.port === port);
  } else {
    chosen = ports.find((p) => (p.name ?? '') === port);
  }
  if (chosen === undefined) {
    const wanted = port === undefined ? 'port' : `port ${JSON.stringify(port)}`;
    throw new SliceError(name, `has no ${wanted} (its ports: ${shown || 'none'})`);
  }
  const n = chosen.port;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > 65_535) {
    // A nil port means "all ports" to the API: there is no single port to call.
    throw new SliceError(name, `port ${chosen.name || '(unnamed)'} has no usable number (${n})`);
  }
  return n;
}
