import { ConfigInvalidError } from '@outrigger/core';
import { describe, expect, it } from 'vitest';
import { createHttpClient } from './client.js';
import { resolveTransport } from './options.js';

describe('HTTP options', () => {
  it('has defaults: 1 MiB replay, the deadline header, connect timeout within the deadline', () => {
    const s = resolveTransport({ service: 'payments' }, 2_000);
    expect(s.maxReplayBytes).toBe(1024 * 1024);
    expect(s.deadlineHeader).toBe('outrigger-timeout-ms');
    expect(s.connectTimeoutMs).toBe(2_000);
    expect(s.tls).toBeUndefined();
    expect(resolveTransport({ service: 'p', tls: true }, undefined).tls).toEqual({});
  });

  it('refuses a bad value, naming the option and what is valid', () => {
    expect(() => resolveTransport({ service: 'p', connections: 0 }, undefined)).toThrow(
      /p: option connections=0 is not valid: expected an integer from 1 to 10000/,
    );
    expect(() =>
      resolveTransport({ service: 'p', deadlineHeader: 'bad header' }, undefined),
    ).toThrow(ConfigInvalidError);
    expect(() => resolveTransport({ service: 'p', tls: { cert: 'x' } }, undefined)).toThrow(
      /tls.key.*both tls.cert and tls.key/,
    );
  });

  it('lets core reject a misspelt option with a hint, and accepts the HTTP ones', async () => {
    expect(() =>
      createHttpClient({ service: 'p', discovery: ['127.0.0.1:1'], conections: 4 } as never),
    ).toThrow(/^p: conections is not a client option; did you mean connections\?/);
    const client = createHttpClient({
      service: 'p',
      discovery: ['127.0.0.1:1'],
      connections: 4,
      pipelining: 2,
      maxReplayBytes: 10,
      deadlineHeader: false,
    });
    expect(client.config.service).toBe('p');
    await client.close();
  });
});
