import type * as grpc from '@grpc/grpc-js';
import { consulDiscovery, watchConsulRoutes } from '@outrigger/discovery-consul';
import { createGrpcClient } from '@outrigger/grpc';
import { afterEach, describe, expect, it } from 'vitest';
import { Echo, type EchoMessage } from '../grpc/support/protos.js';
import { type EchoServer, startEchoServer } from '../grpc/support/test-service.js';
import { ConsulDouble } from './support/consul-double.js';
import { until } from './support/traffic.js';

type SayClient = {
  Say(m: EchoMessage, cb: (e: grpc.ServiceError | null, r?: EchoMessage) => void): unknown;
  close(): Promise<void>;
};

const say = (client: SayClient) =>
  new Promise<grpc.ServiceError | null>((resolve) =>
    client.Say({ text: 'hi', n: 1 }, (e) => resolve(e)),
  );

let double: ConsulDouble;
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((c) => c()));
  await double?.close();
});

describe('a gRPC client on Consul', () => {
  it('finds instances through consulDiscovery and follows a KV route change', async () => {
    double = await ConsulDouble.start();
    const servers: EchoServer[] = [await startEchoServer(), await startEchoServer()];
    closers.push(async () => {
      await Promise.all(servers.map((s) => s.close()));
    });
    for (const [i, s] of servers.entries()) {
      double.addInstance({
        id: `echo-${i}`,
        name: 'echo',
        port: s.port,
        address: '127.0.0.1',
        meta: { version: `v${i + 1}` },
      });
    }
    const grpcClient = createGrpcClient(Echo, {
      service: 'echo',
      discovery: consulDiscovery({ agentAddress: double.address, env: {} }),
      env: {},
    });
    const client = grpcClient as unknown as SayClient;
    // The gRPC client is a RoutesTarget as it is: it has setRoutes().
    const routes = watchConsulRoutes({
      agentAddress: double.address,
      env: {},
      key: 'echo/routes',
      target: grpcClient,
    });
    closers.push(async () => {
      await routes.close();
      await client.close();
    });
    double.putKv(
      'echo/routes',
      JSON.stringify([{ name: 'v2-only', split: [{ subset: { version: 'v2' }, weight: 1 }] }]),
    );
    await until(() => routes.routes !== undefined, 2_000);
    for (let i = 0; i < 10; i++) expect(await say(client)).toBeNull();
    expect([servers[0]!.total(), servers[1]!.total()]).toEqual([0, 10]);
    double.putKv(
      'echo/routes',
      JSON.stringify([{ name: 'v1-only', split: [{ subset: { version: 'v1' }, weight: 1 }] }]),
    );
    await until(() => routes.routes?.[0]?.name === 'v1-only', 2_000);
    for (let i = 0; i < 10; i++) expect(await say(client)).toBeNull();
    expect([servers[0]!.total(), servers[1]!.total()]).toEqual([10, 10]);
  });
});
