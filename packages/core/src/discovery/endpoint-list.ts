import { ConfigInvalidError } from '../errors/errors.js';
import { type Endpoint, type EndpointInit, endpoint, parseHostPort } from './endpoint.js';

/** A static endpoint as code gives it: `host:port`, `[v6]:port`, or an EndpointInit. */
export type EndpointSpec = string | EndpointInit;

const HOST = /^(?:[A-Za-z0-9.-]+|[0-9a-fA-F:.]+)$/;

/**
 * Validates a static list into endpoints, naming the first bad entry (`discovery[2].weight`).
 * An empty list, a malformed address, a port outside 1–65535, a weight that is not a positive
 * number, metadata that is not strings, or two entries with the same id are all refused:
 * each would otherwise surface much later as traffic going somewhere nobody expected.
 */
export function checkEndpoints(list: unknown, setting: string): Endpoint[] {
  if (!Array.isArray(list) || list.length === 0) {
    throw new ConfigInvalidError({
      setting,
      value: Array.isArray(list) ? '[]' : list,
      expected: 'a non-empty list of "host:port" strings or { host, port } objects',
    });
  }
  const seen = new Set<string>();
  return list.map((item: unknown, i) => {
    const e = checkOne(item, `${setting}[${i}]`);
    if (seen.has(e.id)) {
      throw new ConfigInvalidError({
        setting: `${setting}[${i}]`,
        value: e.id,
        expected: 'an endpoint id that appears once (two entries for the same address?)',
      });
    }
    seen.add(e.id);
    return e;
  });
}

function checkOne(item: unknown, setting: string): Endpoint {
  if (typeof item === 'string') {
    const parsed = parseHostPort(item);
    if (!parsed) {
      throw new ConfigInvalidError({
        setting,
        value: item,
        expected: 'host:port or [ipv6]:port with a port from 1 to 65535',
      });
    }
    return endpoint({ ...parsed, id: idOf(parsed.host, parsed.port) });
  }
  if (typeof item !== 'object' || item === null) {
    throw new ConfigInvalidError({
      setting,
      value: item,
      expected: '"host:port" or { host, port }',
    });
  }
  const init = item as EndpointInit;
  if (typeof init.host !== 'string' || !HOST.test(init.host)) {
    throw new ConfigInvalidError({
      setting: `${setting}.host`,
      value: init.host,
      expected: 'a host name or IP address',
    });
  }
  if (!Number.isInteger(init.port) || init.port < 1 || init.port > 65_535) {
    throw new ConfigInvalidError({
      setting: `${setting}.port`,
      value: init.port,
      expected: 'an integer from 1 to 65535',
    });
  }
  if (init.weight !== undefined && !(Number.isFinite(init.weight) && init.weight > 0)) {
    throw new ConfigInvalidError({
      setting: `${setting}.weight`,
      value: init.weight,
      expected: 'a finite number above 0',
    });
  }
  if (init.id !== undefined && (typeof init.id !== 'string' || init.id.length === 0)) {
    throw new ConfigInvalidError({
      setting: `${setting}.id`,
      value: init.id,
      expected: 'a non-empty string',
    });
  }
  if (init.zone !== undefined && (typeof init.zone !== 'string' || init.zone.length === 0)) {
    throw new ConfigInvalidError({
      setting: `${setting}.zone`,
      value: init.zone,
      expected: 'a non-empty string',
    });
  }
  if (init.metadata !== undefined) {
    if (typeof init.metadata !== 'object' || init.metadata === null) {
      throw new ConfigInvalidError({
        setting: `${setting}.metadata`,
        value: init.metadata,
        expected: 'an object of string values',
      });
    }
    for (const [key, value] of Object.entries(init.metadata)) {
      if (typeof value !== 'string') {
        throw new ConfigInvalidError({
          setting: `${setting}.metadata.${key}`,
          value,
          expected: 'a string (metadata is matched as text by route subsets)',
        });
      }
    }
  }
  return endpoint({ ...init, id: init.id ?? idOf(init.host, init.port) });
}

/** `host:port`, with an IPv6 address in brackets so that the id reads back as an address. */
function idOf(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}
