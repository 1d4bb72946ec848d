/**
 * Run as a child by failover.test.ts: makes unary, server-streaming and bidi calls through
 * `createGrpcClient` (with health checks on, so a watch stream is open too), closes the client
 * and returns without exiting: the process must end by itself, with no handle left behind.
 */
import type * as grpc from '@grpc/grpc-js';
import { createGrpcClient } from '@outrigger/grpc';
import { Echo, type EchoMessage } from './protos.js';

const address = process.argv[2]!;
const client = createGrpcClient(Echo, {
  service: 'echo-exit',
  discovery: [address],
  healthCheck: true,
}) as unknown as Record<string, (...args: unknown[]) => unknown> & { close(): Promise<void> };

await new Promise<void>((resolve, reject) =>
  client.Say!({ text: 'a', n: 1 }, (e: grpc.ServiceError | null) => (e ? reject(e) : resolve())),
);
await new Promise<void>((resolve, reject) => {
  const stream = client.Count!({ text: 'b', n: 3 }) as grpc.ClientReadableStream<EchoMessage>;
  stream.on('data', () => {});
  stream.on('error', reject);
  stream.on('end', () => resolve());
});
await new Promise<void>((resolve, reject) => {
  const chat = client.Chat!() as grpc.ClientDuplexStream<EchoMessage, EchoMessage>;
  chat.on('data', () => {});
  chat.on('error', reject);
  chat.on('end', () => resolve());
  chat.write({ text: 'c', n: 1 });
  chat.end();
});
await client.close();
process.stdout.write('calls done\n');
