import {
  installGlobalDispatcher,
  type OutriggerInterceptor,
  outriggerInterceptor,
} from '@outrigger/http';
import { Agent, getGlobalDispatcher, request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { backend, closeBackends } from './servers.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
  await closeBackends();
});

describe('undici interceptor', () => {
  it('puts the chain in front of one service on an existing Agent; other origins pass by', async () => {
    const b = await backend((req, res, self) => {
      res.statusCode = self.hits === 1 ? 503 : 200;
      res.end(`${req.url} ${req.headers['outrigger-timeout-ms'] !== undefined}`);
    });
    const interceptor: OutriggerInterceptor = outriggerInterceptor({
      service: 'payments',
      discovery: [b.address],
    });
    const agent = new Agent();
    const composed = agent.compose(interceptor);
    cleanups.push(async () => {
      await interceptor.close();
      await agent.close();
    });
    const res = await request('http://payments/charges/1', { dispatcher: composed });
    expect(res.statusCode).toBe(200);
    expect(await res.body.text()).toBe('/charges/1 true');
    expect(b.hits).toBe(2);

    b.hits = 0;
    const direct = await request(`http://${b.address}/plain`, { dispatcher: composed });
    expect(direct.statusCode).toBe(503);
    expect(await direct.body.text()).toBe('/plain false');
    expect(b.hits).toBe(1);
  });

  it("makes Node's global fetch go through it, and close() restores the previous dispatcher", async () => {
    const b = await backend((req, res) => res.end(`global ${req.url}`));
    const previous = getGlobalDispatcher();
    const installed = installGlobalDispatcher({ service: 'catalog', discovery: [b.address] });
    cleanups.push(() => installed.close());
    const res = await fetch('http://catalog/items?x=1');
    expect(await res.text()).toBe('global /items?x=1');
    await installed.close();
    expect(getGlobalDispatcher()).toBe(previous);
  });
});
