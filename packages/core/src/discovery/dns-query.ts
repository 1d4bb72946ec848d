import { isIP } from 'node:net';
import type { DnsResolver, DnsSrvRecord } from './dns-resolver.js';
import { type Endpoint, endpoint } from './endpoint.js';

export type AddressFamily = 4 | 6 | 'any';

export interface DnsAnswer {
  /** Sorted by id, so that DNS rotating its record order is not mistaken for a change. */
  endpoints: Endpoint[];
  /** The shortest TTL in the answer, in ms; undefined when the answer had none (getaddrinfo). */
  ttlMs: number | undefined;
}

interface Addresses {
  addresses: string[];
  ttlMs: number | undefined;
}

/** A and/or AAAA for `hostname`, falling back to getaddrinfo when both find nothing. */
export async function resolveAddresses(
  resolver: DnsResolver,
  hostname: string,
  family: AddressFamily,
): Promise<Addresses> {
  if (isIP(hostname)) return { addresses: [hostname], ttlMs: undefined };
  const queries = [
    family !== 6 ? resolver.resolve4(hostname, { ttl: true }) : Promise.resolve([]),
    family !== 4 ? resolver.resolve6(hostname, { ttl: true }) : Promise.resolve([]),
  ];
  const settled = await Promise.allSettled(queries);
  const addresses: string[] = [];
  let ttl = Number.POSITIVE_INFINITY;
  let firstError: unknown;
  for (const result of settled) {
    if (result.status === 'rejected') {
      firstError ??= result.reason;
      continue;
    }
    // A resolver of the user's (or a broken server) can answer anything: only a record with an IP
    // address can be dialled, and only a TTL of 0 s or more can schedule the next resolution.
    for (const record of listOf(result.value)) {
      if (typeof record?.address !== 'string' || !isIP(record.address)) continue;
      if (!addresses.includes(record.address)) addresses.push(record.address);
      if (typeof record.ttl === 'number' && record.ttl >= 0) ttl = Math.min(ttl, record.ttl);
    }
  }
  if (addresses.length > 0) {
    const ttlMs = ttl * 1_000;
    return { addresses, ttlMs: Number.isFinite(ttlMs) ? ttlMs : undefined };
  }
  if (resolver.lookup) {
    try {
      const found = listOf(await resolver.lookup(hostname, { all: true }));
      const wanted = found.filter(
        (a): a is { address: string; family: number } =>
          typeof a?.address === 'string' &&
          isIP(a.address) !== 0 &&
          (family === 'any' || a.family === family),
      );
      if (wanted.length > 0) {
        return { addresses: [...new Set(wanted.map((a) => a.address))], ttlMs: undefined };
      }
    } catch {
      // The DNS error below says more than getaddrinfo's.
    }
  }
  throw firstError ?? new Error(`DNS has no ${familyName(family)} records for ${hostname}`);
}

export async function resolveHost(
  resolver: DnsResolver,
  hostname: string,
  port: number,
  family: AddressFamily,
): Promise<DnsAnswer> {
  const { addresses, ttlMs } = await resolveAddresses(resolver, hostname, family);
  return { endpoints: sorted(addresses.map((a) => toEndpoint(a, port, 1))), ttlMs };
}

/**
 * SRV as RFC 2782 reads it: only the lowest priority value is used (the others are standby),
 * weights become endpoint weights, and each target is resolved to its addresses.
 */
export async function resolveService(
  resolver: DnsResolver,
  hostname: string,
  family: AddressFamily,
): Promise<DnsAnswer> {
  const records = listOf(await resolver.resolveSrv(hostname)).filter(isUsableSrv);
  if (records.length === 0) throw new Error(`DNS has no usable SRV records for ${hostname}`);
  const top = Math.min(...records.map((r) => r.priority));
  const chosen = records.filter((r) => r.priority === top);
  const targets = [...new Set(chosen.map((r) => r.name))];
  const resolved = await Promise.all(targets.map((t) => resolveAddresses(resolver, t, family)));
  const byTarget = new Map(targets.map((t, i) => [t, resolved[i]!]));
  const weights = srvWeights(chosen);
  const seen = new Set<string>();
  const endpoints: Endpoint[] = [];
  let ttlMs: number | undefined;
  chosen.forEach((record, i) => {
    const target = byTarget.get(record.name)!;
    if (target.ttlMs !== undefined)
      ttlMs = Math.min(ttlMs ?? Number.POSITIVE_INFINITY, target.ttlMs);
    for (const address of target.addresses) {
      const e = toEndpoint(address, record.port, weights[i]!);
      if (seen.has(e.id)) continue;
      seen.add(e.id);
      endpoints.push(e);
    }
  });
  return { endpoints: sorted(endpoints), ttlMs };
}

/** A resolver's answer as a list (anything else is no records), each entry possibly junk. */
function listOf<T>(answer: readonly T[]): readonly (T | null | undefined)[] {
  return Array.isArray(answer) ? answer : [];
}

const isUint16 = (n: unknown): n is number =>
  Number.isInteger(n) && (n as number) >= 0 && (n as number) <= 65_535;

/** RFC 2782's fields are 16-bit unsigned integers; port 0 means "no service here". */
function isUsableSrv(record: DnsSrvRecord | null | undefined): record is DnsSrvRecord {
  return (
    typeof record?.name === 'string' &&
    record.name.length > 0 &&
    isUint16(record.port) &&
    record.port > 0 &&
    isUint16(record.priority) &&
    isUint16(record.weight)
  );
}

/** RFC 2782: weight 0 means "very rarely" beside non-zero weights, and "equally" if all are 0. */
function srvWeights(records: readonly DnsSrvRecord[]): number[] {
  const positive = records.filter((r) => r.weight > 0).map((r) => r.weight);
  if (positive.length === 0) return records.map(() => 1);
  const rare = Math.min(...positive) / 100;
  return records.map((r) => (r.weight > 0 ? r.weight : rare));
}

function toEndpoint(address: string, port: number, weight: number): Endpoint {
  const id = isIP(address) === 6 ? `[${address}]:${port}` : `${address}:${port}`;
  return endpoint({ id, host: address, port, weight });
}

function sorted(endpoints: Endpoint[]): Endpoint[] {
  return endpoints.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

function familyName(family: AddressFamily): string {
  return family === 4 ? 'A' : family === 6 ? 'AAAA' : 'A or AAAA';
}
