import { CallContext, type Endpoint, ManualClock } from '@outrigger/core';
import { isCancellationHonoured } from '@outrigger/core/internal';
import type { Dispatcher } from 'undici';
import { describe, expect, it } from 'vitest';
import type { HttpAttempt } from './attempt.js';
import { resolveTransport } from './options.js';
import { OutboundRequest } from './outbound.js';
import type { EndpointDispatcher } from './pools.js';
import { BodyReplayError, httpTransport } from './transport.js';

const endpoint: Endpoint = {
  id: '10.0.0.5:8080',
  host: '10.0.0.5',
  port: 8080,
  weight: 1,
} as Endpoint;

class Capture implements EndpointDispatcher {
  readonly sent: { options: Dispatcher.DispatchOptions; attempt: HttpAttempt }[] = [];
  dispatch(_endpoint: Endpoint, options: Dispatcher.DispatchOptions, attempt: HttpAttempt): void {
    this.sent.push({ options, attempt });
  }
}

function setup(deadlineHeader?: string | false) {
  const wire = new Capture();
  const settings = resolveTransport({ service: 'svc', discovery: [], deadlineHeader }, undefined);
  return { wire, transport: httpTransport(wire, settings) };
}

const get = (headers: string[] = [], body: OutboundRequest['body'] = null) =>
  new OutboundRequest('GET', '/x?y=1', headers, body, true);

describe('httpTransport', () => {
  it('sends the remaining deadline and sets undici’s timers a step behind it, from one reading', () => {
    const clock = new ManualClock(10_000);
    const ctx = CallContext.root({ clock, timeoutMs: 2_500 }).withEndpoint(endpoint);
    clock.advance(300.4);
    const { wire, transport } = setup();
    void transport(get(['accept', '*/*']), ctx);
    const { options } = wire.sent[0]!;
    expect(options).toMatchObject({ path: '/x?y=1', method: 'GET', body: null });
    expect(options.headers).toEqual(['accept', '*/*', 'outrigger-timeout-ms', '2199']);
    // 2,199.6 ms left: rounded up to whole seconds, plus one step.
    expect(options.headersTimeout).toBe(4_000);
    expect(options.bodyTimeout).toBe(4_000);
  });

  it('turns undici’s timers off when the client’s own timers watch the call (its timeout policy is on)', () => {
    const clock = new ManualClock(10_000);
    const call = CallContext.root({ clock }).withEndpoint(endpoint);
    const req = get();
    req.holdTo(call, 6_000, true);
    const { wire, transport } = setup();
    void transport(req, call.withDeadline(clock.now() + 500));
    const { options } = wire.sent[0]!;
    expect(options.headers).toEqual(['outrigger-timeout-ms', '500']);
    expect(options.headersTimeout).toBe(0);
    expect(options.bodyTimeout).toBe(0);
  });

  it('without a deadline sends no header and leaves undici’s own timers', () => {
    const ctx = CallContext.root().withEndpoint(endpoint);
    const { wire, transport } = setup();
    const headers = ['accept', '*/*'];
    void transport(get(headers), ctx);
    const { options } = wire.sent[0]!;
    expect(options.headers).toBe(headers);
    expect(options.headersTimeout ?? undefined).toBeUndefined();
    expect(options.bodyTimeout ?? undefined).toBeUndefined();
  });

  it('sends no deadline header when told not to, but keeps the timers', () => {
    const clock = new ManualClock(0);
    const ctx = CallContext.root({ clock, timeoutMs: 500 }).withEndpoint(endpoint);
    const { wire, transport } = setup(false);
    void transport(get(), ctx);
    const { options } = wire.sent[0]!;
    expect(options.headers).toEqual([]);
    expect(options.headersTimeout).toBe(2_000);
  });

  it('resolves with the attempt at the response head', async () => {
    const ctx = CallContext.root().withEndpoint(endpoint);
    const { wire, transport } = setup();
    const pending = transport(get(), ctx);
    const { attempt } = wire.sent[0]!;
    attempt.onHeaders(204, [], () => {}, 'No Content');
    await expect(pending).resolves.toBe(attempt);
    expect(attempt.statusCode).toBe(204);
  });

  it('refuses an aborted call and a second send of a streamed body, before the wire', async () => {
    const { wire, transport } = setup();
    const aborted = CallContext.root().withEndpoint(endpoint);
    aborted.cancellation.abort(new Error('gone'));
    await expect(transport(get(), aborted)).rejects.toMatchObject({ code: 'CANCELLED' });
    async function* stream() {
      yield new Uint8Array([1]);
    }
    const streamed = get([], stream());
    const ctx = CallContext.root().withEndpoint(endpoint);
    void transport(streamed, ctx);
    await expect(transport(streamed, ctx)).rejects.toBeInstanceOf(BodyReplayError);
    expect(wire.sent).toHaveLength(1);
  });

  it('is marked as honouring cancellation, and keeps it: an abort mid-flight rejects at once and closes the wire', async () => {
    const { wire, transport } = setup();
    expect(isCancellationHonoured(transport)).toBe(true);
    const ctx = CallContext.root().withEndpoint(endpoint);
    const pending = transport(get(), ctx);
    const closed: unknown[] = [];
    wire.sent[0]!.attempt.onConnect((reason) => closed.push(reason));
    ctx.cancellation.abort(new Error('caller left'));
    await expect(pending).rejects.toMatchObject({ code: 'CANCELLED' });
    expect(closed).toHaveLength(1);
  });

  it('fails the attempt, and stops listening, when something throws before undici has it', async () => {
    const ctx = CallContext.root().withEndpoint(endpoint);
    const broken: EndpointDispatcher = {
      dispatch() {
        throw new Error('no pool for you');
      },
    };
    const transport = httpTransport(broken, resolveTransport({ service: 'svc', discovery: [] }, 1));
    await expect(transport(get(), ctx)).rejects.toThrow('no pool for you');
    expect(ctx.cancellation.listenerCount).toBe(0);
  });
});
