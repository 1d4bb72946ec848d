import { lookup, Resolver } from 'node:dns/promises';

export interface DnsAddress {
  address: string;
  /** Seconds. */
  ttl: number;
}

export interface DnsSrvRecord {
  name: string;
  port: number;
  priority: number;
  weight: number;
}

/**
 * The part of `node:dns/promises` that DNS discovery uses, so tests (and users with their own
 * resolver, e.g. DNS-over-HTTPS) can inject one. A `Resolver` instance fits `resolve*` as is.
 */
export interface DnsResolver {
  resolve4(hostname: string, options: { ttl: true }): Promise<DnsAddress[]>;
  resolve6(hostname: string, options: { ttl: true }): Promise<DnsAddress[]>;
  resolveSrv(hostname: string): Promise<DnsSrvRecord[]>;
  /**
   * getaddrinfo, which reads the hosts file: tried when A and AAAA queries find nothing, so that
   * `localhost` and names from /etc/hosts work on a laptop. Its answers carry no TTL.
   */
  lookup?(hostname: string, options: { all: true }): Promise<{ address: string; family: number }[]>;
  /** Cancels queries in flight; called on close. */
  cancel?(): void;
}

/** A c-ares resolver of its own (so `cancel()` only touches our queries) plus getaddrinfo. */
export function systemResolver(): DnsResolver {
  const resolver = new Resolver();
  return {
    resolve4: (hostname, options) => resolver.resolve4(hostname, options),
    resolve6: (hostname, options) => resolver.resolve6(hostname, options),
    resolveSrv: (hostname) => resolver.resolveSrv(hostname),
    lookup: (hostname, options) => lookup(hostname, options),
    cancel: () => resolver.cancel(),
  };
}
