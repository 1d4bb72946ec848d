/**
 * The grpc interop cases through grpc-js's own generated client: the reference every other
 * client run through `interopSuite` is held to (and a check on the test server itself).
 */
import * as grpc from '@grpc/grpc-js';
import { interopSuite } from './support/interop-cases.js';

interopSuite('interop: grpc-js generated client', (Ctor, address) => {
  const client = new Ctor(address, grpc.credentials.createInsecure());
  return { client, close: () => client.close() };
});
