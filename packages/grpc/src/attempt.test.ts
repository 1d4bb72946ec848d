import { CallContext, endpoint } from '@outrigger/core';
import type { Outcome } from '@outrigger/core/internal';
import { describe, expect, it } from 'vitest';
import { GrpcAttempt } from './attempt.js';
import { EndpointChannels } from './channels.js';
import { readMethods } from './methods.js';
import { resolveGrpcTransport } from './options.js';
import { GrpcRequest } from './request.js';
import { EchoClient } from './test-support/echo.js';

describe('GrpcAttempt', () => {
  it('fails, without throwing, when its channels are already closed', () => {
    const settings = resolveGrpcTransport({ service: 'closed' });
    const channels = new EndpointChannels(settings);
    channels.close();
    const info = readMethods(EchoClient, 'closed', true, undefined).get('Say')!;
    const req = new GrpcRequest(info, undefined, undefined, Buffer.alloc(0), undefined);
    const outcomes: Outcome<unknown>[] = [];
    const attempt = new GrpcAttempt(
      CallContext.root({ service: 'closed' }),
      req,
      { settle: (o) => outcomes.push(o) },
      channels,
      endpoint({ host: '127.0.0.1', port: 1 }),
    );
    expect(() => attempt.start()).not.toThrow();
    expect(outcomes).toHaveLength(1);
    expect(outcomes[0]!.ok).toBe(false);
    expect(String(outcomes[0]!.error)).toMatch(/closed/);
    expect(channels.size).toBe(0);
  });
});
