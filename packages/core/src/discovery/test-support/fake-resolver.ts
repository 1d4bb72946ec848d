import type { DnsAddress, DnsResolver, DnsSrvRecord } from '../dns-resolver.js';

type Answer<T> = T[] | Error;

export function dnsError(code: string): Error {
  return Object.assign(new Error(`query failed: ${code}`), { code });
}

/** A resolver with the node:dns/promises shape, answering from tables the test edits. */
export class FakeResolver implements DnsResolver {
  a: Record<string, Answer<DnsAddress>> = {};
  aaaa: Record<string, Answer<DnsAddress>> = {};
  srv: Record<string, Answer<DnsSrvRecord>> = {};
  hosts: Record<string, string[]> = {};
  queries: string[] = [];
  cancelled = 0;
  resolve4(hostname: string) {
    return this.#answer('A', hostname, this.a[hostname]);
  }
  resolve6(hostname: string) {
    return this.#answer('AAAA', hostname, this.aaaa[hostname]);
  }
  resolveSrv(hostname: string) {
    return this.#answer('SRV', hostname, this.srv[hostname]);
  }
  async lookup(hostname: string) {
    this.queries.push(`lookup ${hostname}`);
    const found = this.hosts[hostname];
    if (!found) throw dnsError('ENOTFOUND');
    return found.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
  }
  cancel() {
    this.cancelled++;
  }
  async #answer<T>(type: string, hostname: string, answer: Answer<T> | undefined): Promise<T[]> {
    this.queries.push(`${type} ${hostname}`);
    if (answer instanceof Error) throw answer;
    if (!answer) throw dnsError('ENODATA');
    return answer;
  }
}
