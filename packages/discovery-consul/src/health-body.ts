import type { ConsulHealthEntry } from './health-entries.js';

/**
 * Parses a `/v1/health/service/:name` body, refusing anything that is not Consul's shape with a
 * plain error naming the first wrong field (`entry 2: Service.Meta.version is not a string`),
 * so the watch reports what was wrong instead of a `TypeError` from deep inside the mapping.
 * Types are checked here; whether an instance can be dialed is the mapping's call.
 */
export function parseHealthBody(text: string): ConsulHealthEntry[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new Error(`the body is not JSON (${(error as Error).message}; ${text.length} bytes)`);
  }
  if (!Array.isArray(parsed)) throw new Error('the body is not a JSON array of health entries');
  parsed.forEach((entry: unknown, i) => {
    const wrong = checkEntry(entry);
    if (wrong) throw new Error(`entry ${i}: ${wrong}`);
  });
  return parsed as ConsulHealthEntry[];
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const absent = (v: unknown) => v === undefined || v === null;

/** The first thing wrong with one entry, or undefined. */
function checkEntry(entry: unknown): string | undefined {
  if (!isObject(entry)) return 'is not an object';
  const { Node: node, Service: service, Checks: checks } = entry;
  if (!isObject(node)) return 'Node is not an object';
  if (typeof node.Node !== 'string') return 'Node.Node is not a string';
  if (typeof node.Address !== 'string') return 'Node.Address is not a string';
  if (!absent(node.Datacenter) && typeof node.Datacenter !== 'string') {
    return 'Node.Datacenter is not a string';
  }
  const nodeTagged = stringMap(node.TaggedAddresses, 'Node.TaggedAddresses');
  if (nodeTagged) return nodeTagged;
  if (!isObject(service)) return 'Service is not an object';
  if (typeof service.ID !== 'string') return 'Service.ID is not a string';
  if (typeof service.Port !== 'number') return 'Service.Port is not a number';
  if (!absent(service.Address) && typeof service.Address !== 'string') {
    return 'Service.Address is not a string';
  }
  if (!absent(service.Tags)) {
    if (!Array.isArray(service.Tags) || service.Tags.some((t) => typeof t !== 'string')) {
      return 'Service.Tags is not a list of strings';
    }
  }
  const meta = stringMap(service.Meta, 'Service.Meta');
  if (meta) return meta;
  if (!absent(service.Weights)) {
    const w = service.Weights;
    if (!isObject(w)) return 'Service.Weights is not an object';
    for (const k of ['Passing', 'Warning']) {
      if (!absent(w[k]) && typeof w[k] !== 'number') return `Service.Weights.${k} is not a number`;
    }
  }
  if (!absent(service.TaggedAddresses)) {
    if (!isObject(service.TaggedAddresses)) return 'Service.TaggedAddresses is not an object';
    for (const [name, value] of Object.entries(service.TaggedAddresses)) {
      const at = `Service.TaggedAddresses.${name}`;
      if (!isObject(value)) return `${at} is not an object`;
      for (const k of ['Address', 'address']) {
        if (!absent(value[k]) && typeof value[k] !== 'string') return `${at}.${k} is not a string`;
      }
      for (const k of ['Port', 'port']) {
        if (!absent(value[k]) && typeof value[k] !== 'number') return `${at}.${k} is not a number`;
      }
    }
  }
  if (!absent(checks)) {
    if (!Array.isArray(checks)) return 'Checks is not a list';
    const bad = checks.findIndex((c) => !isObject(c) || typeof c.Status !== 'string');
    if (bad >= 0) return `Checks[${bad}].Status is not a string`;
  }
  return undefined;
}

function stringMap(value: unknown, at: string): string | undefined {
  if (absent(value)) return undefined;
  if (!isObject(value)) return `${at} is not an object`;
  for (const [key, v] of Object.entries(value)) {
    if (typeof v !== 'string') return `${at}.${key} is not a string`;
  }
  return undefined;
}
