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
  // A list or watch can carry anything where an object belongs; it still needs a name here.
  const metadata = isObject(slice) ? slice.metadata : undefined;
  const name = isObject(metadata) ? metadata.name : undefined;
  const ns = isObject(metadata) ? metadata.namespace : undefined;
  if (typeof name !== 'string' || name.length === 0) return '<unnamed>';
  return typeof ns === 'string' && ns.length > 0 ? `${ns}/${name}` : name;
}

/**
 * The entries of one slice of `service` for the selected port, or a `SliceError`. A slice with no
 * endpoints is valid whatever its ports (the controller writes one for a Service with no pods);
 * one with endpoints must have the port, since its pods would otherwise be unreachable. Nothing
 * from the wire is trusted: a field of the wrong type is a `SliceError` too, never a TypeError,
 * and never a string `"false"` taken for a true condition.
 */
export function readSlice(
  slice: EndpointSliceLike,
  service: string,
  port: PortSelector | undefined,
): SliceEntry[] {
  const name = sliceName(slice);
  if (!isObject(slice)) throw new SliceError(name, 'is not an object');
  if (name === '<unnamed>') throw new SliceError(name, 'has no metadata.name');
  const labels = (slice.metadata as { labels?: unknown }).labels;
  const label = isObject(labels)
    ? (labels as Record<string, unknown>)[SERVICE_NAME_LABEL]
    : undefined;
  if (label !== service) {
    throw new SliceError(
      name,
      label === undefined
        ? `has no ${SERVICE_NAME_LABEL} label (expected "${service}")`
        : `is labelled ${SERVICE_NAME_LABEL}=${show(label)}, not "${service}"`,
    );
  }
  const family: unknown = slice.addressType;
  if (family !== 'IPv4' && family !== 'IPv6') {
    throw new SliceError(
      name,
      `addressType ${typeof family === 'string' ? family : show(family)} is not supported (IPv4 and IPv6 are; an FQDN slice names hosts, not pods, and is left to DNS)`,
    );
  }
  const endpoints: unknown = slice.endpoints ?? [];
  if (!Array.isArray(endpoints)) throw new SliceError(name, 'endpoints is not a list');
  if (endpoints.length === 0) return [];
  const portNumber = pickPort(slice, name, port);
  const valid = family === 'IPv4' ? isIPv4 : isIPv6;
  const out: SliceEntry[] = [];
  for (const e of endpoints as unknown[]) {
    if (!isObject(e)) throw new SliceError(name, `an endpoint is ${show(e)}, not an object`);
    const ep = e as EndpointLike;
    const host = Array.isArray(ep.addresses) ? (ep.addresses[0] as unknown) : undefined;
    // Every address of an endpoint is the same pod (the API calls them fungible): one is enough.
    if (typeof host !== 'string' || !valid(host)) {
      throw new SliceError(
        name,
        `endpoint address ${show(host ?? null)} is not an ${family} address`,
      );
    }
    const c: unknown = ep.conditions ?? {};
    if (!isObject(c)) throw new SliceError(name, `endpoint ${host}: conditions is not an object`);
    const condition = (key: 'ready' | 'serving' | 'terminating', nil: boolean): boolean => {
      const value: unknown = (c as Record<string, unknown>)[key];
      if (value === undefined || value === null) return nil;
      if (typeof value === 'boolean') return value;
      throw new SliceError(
        name,
        `endpoint ${host}: condition ${key} is ${show(value)}, not a boolean or null`,
      );
    };
    out.push({
      host,
      port: portNumber,
      ready: condition('ready', true),
      serving: condition('serving', true),
      terminating: condition('terminating', false),
      zone: optionalString(ep.zone, name, host, 'zone'),
      forZones: readForZones(ep.hints),
      pod: optionalString(
        isObject(ep.targetRef) ? ep.targetRef.name : undefined,
        name,
        host,
        'targetRef.name',
      ),
      node: optionalString(ep.nodeName, name, host, 'nodeName'),
    });
  }
  return out;
}

function pickPort(slice: EndpointSliceLike, name: string, port: PortSelector | undefined): number {
  const raw: unknown = slice.ports ?? [];
  if (!Array.isArray(raw)) throw new SliceError(name, 'ports is not a list');
  // A null among the ports names no port; the others still can be used.
  const ports = raw.filter(isObject) as { name?: unknown; port?: unknown }[];
  const shown = ports
    .map((p) => `${portName(p) || '(unnamed)'}=${show(p.port ?? 'all')}`)
    .join(', ');
  let chosen: { name?: unknown; port?: unknown } | undefined;
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
    chosen = ports.find((p) => portName(p) === port);
  }
  if (chosen === undefined) {
    const wanted = port === undefined ? 'port' : `port ${JSON.stringify(port)}`;
    throw new SliceError(name, `has no ${wanted} (its ports: ${shown || 'none'})`);
  }
  const n = chosen.port;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > 65_535) {
    // A nil port means "all ports" to the API: there is no single port to call.
    throw new SliceError(
      name,
      `port ${portName(chosen) || '(unnamed)'} has no usable number (${show(n ?? null)})`,
    );
  }
  return n;
}

/** A port's name; a nil name is the empty name of a single-port Service. */
function portName(p: { name?: unknown }): string {
  return typeof p.name === 'string' ? p.name : '';
}

/** Topology hints are advice: malformed ones are dropped, not a reason to refuse the pod. */
function readForZones(hints: unknown): string[] {
  const forZones: unknown = isObject(hints)
    ? (hints as { forZones?: unknown }).forZones
    : undefined;
  if (!Array.isArray(forZones)) return [];
  const zones: string[] = [];
  for (const z of forZones as unknown[]) {
    const zone = isObject(z) ? (z as { name?: unknown }).name : undefined;
    if (typeof zone === 'string' && zone.length > 0) zones.push(zone);
  }
  return zones;
}

function optionalString(
  value: unknown,
  name: string,
  host: string,
  field: string,
): string | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value === 'string') return value;
  throw new SliceError(name, `endpoint ${host}: ${field} is ${show(value)}, not a string`);
}

function isObject(value: unknown): value is Record<string, unknown> & EndpointSliceLike {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** For messages: JSON where it can be had (junk may not even convert to a string). */
function show(value: unknown): string {
  try {
    return JSON.stringify(value) ?? typeof value;
  } catch {
    return typeof value;
  }
}
