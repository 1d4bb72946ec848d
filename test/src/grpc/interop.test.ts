/**
 * The grpc interop cases through grpc-js's own generated client: the reference every other
 * client run through `interopSuite` is held to (and a check on the test server itself); then
 * the same cases through `createGrpcClient` with default policies.
 */
import * as grpc from '@grpc/grpc-js';
import { createGrpcClient } from '@outrigger/grpc';
import { interopSuite } from './support/interop-cases.js';
import type { AnyClient } from './support/protos.js';

interopSuite('interop: grpc-js generated client', (Ctor, address) => {
  const client = new Ctor(address, grpc.credentials.createInsecure());
  return { client, close: () => client.close() };
});

interopSuite('interop: createGrpcClient (default policies)', (Ctor, address) => {
  const client = createGrpcClient(Ctor, { service: 'interop', discovery: [address] });
  return { client: client as unknown as AnyClient, close: () => client.close() };
});
