/**
 * One deadline across three hops: HTTP -> gRPC -> HTTP. The first server is entered with the
 * caller's remaining time (the deadline header); its gRPC call carries what is left as
 * grpc-timeout; the gRPC server's helper enters that into the same AsyncLocalStorage scope, and
 * its HTTP call sends the rest on, so the last server sees less than the first was given.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as grpc from '@grpc/grpc-js';
import { createGrpcClient, withInboundService } from '@outrigger/grpc';
import { createHttpClient, withInbound } from '@outrigger/http';
import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { Echo, type EchoMessage, echoServiceDefinition } from './support/protos.js';
import { listenGrpc } from './support/test-service.js';

const closers: Array<() => Promise<unknown> | unknown> = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closers.push(() => new Promise((resolve) => server.close(resolve)));
  return `127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe('a deadline crossing HTTP -> gRPC -> HTTP', () => {
  it('reaches the last server as the time that remains', async () => {
    // Last hop: records the deadline header it was sent.
    let lastSaw: number | undefined;
    const last = await listen(
      createServer((req, res) => {
        lastSaw = Number(req.headers['outrigger-timeout-ms']);
        res.end('ok');
      }),
    );
    const toLast = createHttpClient({ service: 'last', discovery: [last] });
    closers.push(() => toLast.close());

    // Middle hop: a gRPC server whose handler calls the last hop after a 100 ms pause.
    let middleSaw: number | undefined;
    const grpcServer = new grpc.Server();
    grpcServer.addService(
      echoServiceDefinition,
      withInboundService({
        Say(
          call: grpc.ServerUnaryCall<EchoMessage, EchoMessage>,
          cb: grpc.sendUnaryData<EchoMessage>,
        ) {
          const deadline = call.getDeadline();
          middleSaw = (deadline instanceof Date ? deadline.getTime() : deadline) - Date.now();
          setTimeout(async () => {
            const res = await toLast.request('/');
            cb(null, { text: await res.body.text(), n: 1 });
          }, 100);
        },
      }),
    );
    const { port } = await listenGrpc(grpcServer);
    closers.push(() => grpcServer.forceShutdown());
    const toMiddle = createGrpcClient(Echo, {
      service: 'middle',
      discovery: [`127.0.0.1:${port}`],
    });
    closers.push(() => toMiddle.close());

    // First hop: an HTTP server whose handler calls the middle hop after a 100 ms pause.
    const first = await listen(
      createServer(
        withInbound((_req, res) => {
          setTimeout(() => {
            (
              toMiddle as unknown as {
                Say: (m: EchoMessage, cb: grpc.requestCallback<EchoMessage>) => void;
              }
            ).Say({ text: 'hop', n: 0 }, (error, reply) =>
              res.end(error ? `error ${error.code}` : reply!.text),
            );
          }, 100);
        }),
      ),
    );

    const res = await request(`http://${first}/`, { headers: { 'outrigger-timeout-ms': '1500' } });
    expect(await res.body.text()).toBe('ok');
    // Each hop waited 100 ms: the middle had < 1,400 ms left, the last < 1,300 ms, and both far
    // less than their clients' own 10 s default, so the inbound deadline is what they got.
    expect(middleSaw).toBeGreaterThan(900);
    expect(middleSaw).toBeLessThanOrEqual(1_400);
    expect(lastSaw).toBeGreaterThan(800);
    expect(lastSaw).toBeLessThanOrEqual(1_300);
    expect(lastSaw!).toBeLessThan(middleSaw!);
  });
});
