/**
 * Response shapes as Consul's HTTP API documentation prints them (Health: "List Service
 * Instances for Service" sample response; KV Store: "Read Key" sample response). The double
 * is checked against them, and the package's mapping reads them.
 */
export const DOCUMENTED_HEALTH_SERVICE = [
  {
    Node: {
      ID: '40e4a748-2192-161a-0510-9bf59fe950b5',
      Node: 'foobar',
      Address: '10.1.10.12',
      Datacenter: 'dc1',
      TaggedAddresses: { lan: '10.1.10.12', wan: '10.1.10.12' },
      Meta: { instance_type: 't2.medium' },
    },
    Service: {
      ID: 'redis',
      Service: 'redis',
      Tags: ['primary'],
      Address: '10.1.10.12',
      TaggedAddresses: {
        lan: { Address: '10.1.10.12', Port: 8000 },
        wan: { Address: '198.18.1.2', Port: 80 },
      },
      Meta: { redis_version: '4.0' },
      Port: 8000,
      Weights: { Passing: 10, Warning: 1 },
      Namespace: 'default',
    },
    Checks: [
      {
        Node: 'foobar',
        CheckID: 'service:redis',
        Name: "Service 'redis' check",
        Status: 'passing',
        Notes: '',
        Output: '',
        ServiceID: 'redis',
        ServiceName: 'redis',
        ServiceTags: ['primary'],
        Namespace: 'default',
      },
      {
        Node: 'foobar',
        CheckID: 'serfHealth',
        Name: 'Serf Health Status',
        Status: 'passing',
        Notes: '',
        Output: '',
        ServiceID: '',
        ServiceName: '',
        ServiceTags: [],
        Namespace: 'default',
      },
    ],
  },
];

export const DOCUMENTED_KV_READ = [
  {
    CreateIndex: 100,
    ModifyIndex: 200,
    LockIndex: 200,
    Key: 'zip',
    Flags: 0,
    Value: 'dGVzdA==',
    Session: 'adf4238a-882b-9ddc-4a9d-5b6758e4159e',
  },
];

/** Headers every blocking endpoint sets (Blocking Queries; Consistency Modes; Agent Caching). */
export const DOCUMENTED_BLOCKING_HEADERS = [
  'x-consul-index',
  'x-consul-knownleader',
  'x-consul-lastcontact',
  'x-consul-effective-consistency',
];

/**
 * Every key the documented value has is in the actual value, with the same JSON type,
 * recursively (the first element stands for an array's elements). Returns the differences.
 */
export function shapeDifferences(documented: unknown, actual: unknown, at = '$'): string[] {
  const type = (v: unknown) => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v);
  if (type(documented) !== type(actual))
    return [`${at}: ${type(documented)} documented, ${type(actual)} served`];
  if (Array.isArray(documented) && Array.isArray(actual)) {
    if (documented.length === 0 || actual.length === 0) return [];
    return shapeDifferences(documented[0], actual[0], `${at}[0]`);
  }
  if (type(documented) !== 'object') return [];
  const d = documented as Record<string, unknown>;
  const a = actual as Record<string, unknown>;
  const out: string[] = [];
  // Maps whose keys are data (Meta, TaggedAddresses' names) are compared by their values' shape.
  const dataKeys = /(\.Meta|TaggedAddresses)$/.test(at);
  if (dataKeys) {
    const first = Object.values(a)[0];
    for (const [k, v] of Object.entries(d))
      if (first !== undefined) out.push(...shapeDifferences(v, first, `${at}.${k}`));
    return out;
  }
  for (const [k, v] of Object.entries(d)) {
    // Session is only there while a lock is held.
    if (!(k in a)) {
      if (k !== 'Session') out.push(`${at}.${k}: documented, not served`);
      continue;
    }
    out.push(...shapeDifferences(v, a[k], `${at}.${k}`));
  }
  return out;
}
