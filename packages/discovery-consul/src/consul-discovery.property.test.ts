import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Endpoint } from '@outrigger/core';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { consulDiscovery } from './consul-discovery.js';
import { parseHealthBody } from './health-body.js';

/**
 * Fuzzed inputs: consulDiscovery against an agent that answers a good set and then
 * anything at all. Subscribers hear of a bad answer as an error, or get a usable non-empty set;
 * the last good set stays in force through every bad answer ("never an empty pool because a
 * registry blinked"). A real HTTP agent stub on 127.0.0.1, one service name per run.
 */

// A property runs many cases: room for a loaded CI machine (each case has its own fast-check timeout).
vi.setConfig({ testTimeout: 30_000 });

const GOOD = JSON.stringify([
  {
    Node: { Node: 'n1', Address: '10.0.0.1' },
    Service: { ID: 'a', Service: 's', Address: '10.0.0.1', Port: 8080 },
    Checks: [{ Status: 'passing' }],
  },
  {
    Node: { Node: 'n2', Address: '10.0.0.2' },
    Service: { ID: 'b', Service: 's', Address: '', Port: 8081 },
    Checks: [],
  },
]);

const junkBody = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)),
  fc.string({ maxLength: 40 }),
  fc.nat({ max: GOOD.length - 1 }).map((n) => GOOD.slice(0, n)),
  fc.constantFrom(
    '[]',
    'null',
    '{}',
    '[{}]',
    '[null]',
    JSON.stringify([
      { Node: { Node: 'n', Address: '' }, Service: { ID: 'x', Address: '', Port: 80 } },
    ]),
    JSON.stringify([{ Node: { Node: 'n', Address: '1.1.1.1' }, Service: { ID: 'x', Port: 0 } }]),
    JSON.stringify([
      { Node: { Node: 'n', Address: '1.1.1.1' }, Service: { ID: 'x', Port: 80, Tags: 'a' } },
    ]),
    JSON.stringify([
      {
        Node: { Node: 'n', Address: '1.1.1.1' },
        Service: { ID: 'x', Port: 80, Weights: { Passing: '5' } },
      },
    ]),
    JSON.stringify([
      { Node: { Node: 'n', Address: '1.1.1.1' }, Service: { ID: 'x', Port: 80 }, Checks: [null] },
    ]),
  ),
);
/** What the agent sends with it: a status, and an index that may be absent, garbage or going back. */
const answer = fc.record({
  body: junkBody,
  status: fc.constantFrom(200, 200, 200, 500, 404, 429),
  index: fc.constantFrom<string | undefined>(
    '11',
    '11',
    '0',
    '-1',
    'abc',
    '3',
    undefined,
    '99999999999999999999',
  ),
});

interface Script {
  answers: { status: number; body: string; index: string | undefined }[];
  /** Requests that arrived after the script ran out: the loop has digested the last answer. */
  onDone?: () => void;
}

describe('consulDiscovery over junk answers', () => {
  let server: Server;
  let agent: string;
  const scripts = new Map<string, Script>();
  const held: ServerResponse[] = [];

  beforeAll(async () => {
    server = createServer((req: IncomingMessage, res: ServerResponse) => {
      const name = decodeURIComponent(
        new URL(req.url ?? '/', 'http://x').pathname.split('/').pop() ?? '',
      );
      const script = scripts.get(name);
      const next = script?.answers.shift();
      if (!next) {
        // Blocking query with nothing new: held until the run ends, as an agent would.
        held.push(res);
        script?.onDone?.();
        return;
      }
      res.statusCode = next.status;
      if (next.index !== undefined) res.setHeader('X-Consul-Index', next.index);
      res.setHeader('Content-Type', 'application/json');
      res.end(next.body);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    agent = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    for (const res of held) res.destroy();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  let run = 0;
  it('keeps the last good set through any answer, and reports the bad ones', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(answer, { minLength: 1, maxLength: 3 }), async (junk) => {
        const service = `svc-${run++}`;
        const done = new Promise<void>((resolve) => {
          scripts.set(service, {
            answers: [{ status: 200, body: GOOD, index: '10' }, ...junk],
            onDone: resolve,
          });
        });
        const discovery = consulDiscovery({
          agentAddress: agent,
          minIntervalMs: 0,
          backoff: { baseMs: 1, maxMs: 2 },
          env: {},
        });
        const sets: (readonly Endpoint[])[] = [];
        let errors = 0;
        const stop = discovery.subscribe(service, {
          onEndpoints: (endpoints) => sets.push(endpoints),
          onError: () => errors++,
        });
        try {
          await done;
          expect(sets.length).toBeGreaterThanOrEqual(1);
          expect(sets[0]!.map((e) => e.id)).toEqual(['n1/a', 'n2/b']);
          for (const set of sets) {
            expect(set.length).toBeGreaterThan(0);
            for (const e of set)
              expect(Number.isInteger(e.port) && e.port > 0 && e.host.length > 0).toBe(true);
          }
          const readable = junk.filter((a) => {
            if (a.status !== 200) return false;
            try {
              return parseHealthBody(a.body).length > 0;
            } catch {
              return false;
            }
          });
          // A set only changes for a readable, non-empty answer; anything else was reported.
          if (readable.length === 0) expect(sets).toHaveLength(1);
          if (junk.some((a) => a.status !== 200)) expect(errors).toBeGreaterThan(0);
        } finally {
          stop();
          await discovery.close();
          scripts.delete(service);
        }
      }),
      { numRuns: 10, timeout: 5_000 },
    );
  }, 30_000);
});
