import { get } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { ApiServerDouble, type ApiServerDoubleOptions, type Slice } from './apiserver-double.js';
import { until } from './cluster.js';
import {
  BOOKMARK_EVENT,
  ENDPOINT_SLICE,
  EXPIRED_CONTINUE_STATUS,
  EXPIRED_WATCH_EVENT,
  LIST_SHAPE,
  statusShape,
} from './fixtures.js';

const doubles: ApiServerDouble[] = [];
afterEach(async () => {
  await Promise.all(doubles.splice(0).map((d) => d.close()));
});

async function start(options: ApiServerDoubleOptions = {}) {
  const d = await ApiServerDouble.start(options);
  doubles.push(d);
  return d;
}

interface ListJson {
  metadata: { resourceVersion: string; continue?: string; remainingItemCount?: number };
  items: Slice[];
}

interface WatchEventJson {
  type: string;
  object: { kind?: string; metadata: { name?: string; resourceVersion?: string } };
}

const PATH = '/apis/discovery.k8s.io/v1/namespaces/shop/endpointslices';
const SELECTOR = 'labelSelector=kubernetes.io%2Fservice-name%3Dpayments';

function slice(name: string, service = 'payments'): Slice {
  return {
    ...structuredClone(ENDPOINT_SLICE),
    metadata: {
      ...structuredClone(ENDPOINT_SLICE.metadata),
      name,
      labels: { 'kubernetes.io/service-name': service },
    },
  };
}

async function getJson(d: ApiServerDouble, query: string, token = 'test-token') {
  const res = await fetch(`${d.url}${PATH}?${query}`, {
    headers: { Authorization: `Bearer ${token}` },
  });
  return { status: res.status, body: (await res.json()) as ListJson };
}

/** Opens a watch and collects its events until `until` says stop or the server ends it. */
function watch(
  d: ApiServerDouble,
  query: string,
  until: (events: WatchEventJson[]) => boolean = () => false,
): Promise<{ status: number; events: WatchEventJson[]; ended: boolean }> {
  return new Promise((resolve, reject) => {
    const events: WatchEventJson[] = [];
    const req = get(
      `${d.url}${PATH}?watch=true&${query}`,
      { headers: { Authorization: 'Bearer test-token' } },
      (res) => {
        let buffered = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          buffered += chunk;
          let nl = buffered.indexOf('\n');
          while (nl !== -1) {
            events.push(JSON.parse(buffered.slice(0, nl)));
            buffered = buffered.slice(nl + 1);
            nl = buffered.indexOf('\n');
          }
          if (until(events)) {
            req.destroy();
            resolve({ status: res.statusCode!, events, ended: false });
          }
        });
        res.on('end', () => resolve({ status: res.statusCode!, events, ended: true }));
      },
    );
    req.on('error', reject);
  });
}

describe('the API server double', () => {
  it('lists with the documented list shape, label selection, and items as stored', async () => {
    const d = await start();
    d.apply(slice('payments-a'));
    d.apply(slice('orders-a', 'orders'));
    const { status, body } = await getJson(d, SELECTOR);
    expect(status).toBe(200);
    expect(body).toMatchObject(LIST_SHAPE);
    expect(body.metadata.resourceVersion).toBe(d.resourceVersion);
    expect(body.items).toHaveLength(1);
    expect(body.items[0]).toMatchObject({
      addressType: 'IPv4',
      endpoints: ENDPOINT_SLICE.endpoints,
      ports: ENDPOINT_SLICE.ports,
      metadata: {
        name: 'payments-a',
        namespace: 'shop',
        resourceVersion: expect.any(String),
        uid: expect.any(String),
      },
    });
  });

  it('serves chunks from one snapshot, and an expired continue token as 410 Expired with a new token', async () => {
    const d = await start();
    for (const n of ['a', 'b', 'c']) d.apply(slice(`payments-${n}`));
    const first = await getJson(d, `${SELECTOR}&limit=2`);
    expect(first.body.items.map((i: Slice) => i.metadata.name)).toEqual([
      'payments-a',
      'payments-b',
    ]);
    expect(first.body.metadata).toMatchObject({
      continue: expect.any(String),
      remainingItemCount: 1,
    });
    // Writes after the first page do not show in the next one: it is the same snapshot.
    d.apply(slice('payments-d'));
    d.remove('shop', 'payments-c');
    const second = await getJson(d, `${SELECTOR}&limit=2&continue=${first.body.metadata.continue}`);
    expect(second.body.items.map((i: Slice) => i.metadata.name)).toEqual(['payments-c']);
    expect(second.body.metadata.resourceVersion).toBe(first.body.metadata.resourceVersion);
    expect(second.body.metadata.continue).toBeUndefined();
    d.compact();
    const expired = await getJson(
      d,
      `${SELECTOR}&limit=2&continue=${first.body.metadata.continue}`,
    );
    expect(expired.status).toBe(410);
    expect(expired.body).toEqual(EXPIRED_CONTINUE_STATUS);
  });

  it('streams every change after a resourceVersion as NDJSON, then live ones', async () => {
    const d = await start();
    d.apply(slice('payments-a'));
    const from = d.resourceVersion;
    d.apply(slice('payments-b'));
    d.apply(slice('orders-a', 'orders'));
    d.remove('shop', 'payments-a');
    const seen = watch(d, `${SELECTOR}&resourceVersion=${from}`, (e) => e.length === 3);
    await until(() => d.watchCount === 1, 5_000, 'the watch to open');
    d.apply(slice('payments-b'));
    const { events } = await seen;
    expect(events.map((e) => [e.type, e.object.metadata.name])).toEqual([
      ['ADDED', 'payments-b'],
      ['DELETED', 'payments-a'],
      ['MODIFIED', 'payments-b'],
    ]);
    expect(events[0]!.object).toMatchObject({
      kind: 'EndpointSlice',
      apiVersion: 'discovery.k8s.io/v1',
    });
    const rvs = events.map((e) => Number(e.object.metadata.resourceVersion));
    expect(rvs).toEqual([...rvs].sort((a, b) => a - b));
  });

  it('a watch without a resourceVersion starts with synthetic ADDED events for what exists', async () => {
    const d = await start();
    d.apply(slice('payments-a'));
    d.apply(slice('payments-b'));
    const { events } = await watch(d, SELECTOR, (e) => e.length === 2);
    expect(events.map((e) => e.type)).toEqual(['ADDED', 'ADDED']);
  });

  it('a watch from before the compaction gets the documented 410 ERROR event, or HTTP 410', async () => {
    const d = await start();
    d.apply(slice('payments-a'));
    const old = d.resourceVersion;
    d.apply(slice('payments-b'));
    d.compact();
    const asEvent = await watch(d, `${SELECTOR}&resourceVersion=${Number(old) - 1}`);
    expect(asEvent.status).toBe(200);
    expect(asEvent.events).toEqual([EXPIRED_WATCH_EVENT]);
    expect(asEvent.ended).toBe(true);
    d.expiredWatchAs = 'status';
    const asStatus = await getJson(d, `${SELECTOR}&watch=true&resourceVersion=${Number(old) - 1}`);
    expect(asStatus.status).toBe(410);
    expect(asStatus.body).toEqual(statusShape(410, 'Expired'));
    // From the compaction point itself, nothing needed is lost: the watch is served.
    const fine = await watch(
      d,
      `${SELECTOR}&resourceVersion=${d.resourceVersion}&timeoutSeconds=1`,
    );
    expect(fine.events).toEqual([]);
    expect(fine.ended).toBe(true);
  });

  it('sends bookmarks with only metadata.resourceVersion when asked, and ends at timeoutSeconds', async () => {
    const d = await start({ bookmarkIntervalMs: 20 });
    d.apply(slice('payments-a'));
    const { events } = await watch(
      d,
      `${SELECTOR}&resourceVersion=${d.resourceVersion}&allowWatchBookmarks=true`,
      (e) => e.length === 2,
    );
    expect(events).toEqual([BOOKMARK_EVENT, BOOKMARK_EVENT]);
    expect(events[0]!.object.metadata.resourceVersion).toBe(d.resourceVersion);
    const ended = await watch(
      d,
      `${SELECTOR}&resourceVersion=${d.resourceVersion}&timeoutSeconds=1`,
    );
    expect(ended).toMatchObject({ ended: true, events: [] });
  });

  it('refuses a missing or wrong token with a 401 Status, and logs every request', async () => {
    const d = await start();
    const wrong = await getJson(d, SELECTOR, 'nope');
    expect(wrong.status).toBe(401);
    expect(wrong.body).toEqual(statusShape(401, 'Unauthorized'));
    expect(d.requests.at(-1)).toMatchObject({
      path: PATH,
      authorization: 'Bearer nope',
      status: 401,
      watch: false,
    });
  });

  it('an outage refuses, fails with 500, or hangs', async () => {
    const d = await start();
    d.setOutage('error');
    const failed = await getJson(d, SELECTOR);
    expect(failed.status).toBe(500);
    expect(failed.body).toEqual(statusShape(500, 'InternalError'));
    d.setOutage('refuse');
    await expect(fetch(`${d.url}${PATH}`)).rejects.toThrow();
    d.setOutage('hang');
    const hung = await Promise.race([
      fetch(`${d.url}${PATH}?${SELECTOR}`, {
        headers: { Authorization: 'Bearer test-token' },
        signal: AbortSignal.timeout(200),
      }).then(
        () => 'answered',
        () => 'no answer',
      ),
    ]);
    expect(hung).toBe('no answer');
    d.setOutage(undefined);
    expect((await getJson(d, SELECTOR)).status).toBe(200);
  });
});
