/**
 * One client alone in its process: `node --import tsx one-client.ts <raw|outrigger> <address>
 * <concurrency> <calls>` warms up, runs `calls` unary `Say` calls closed-loop and prints one JSON
 * line (calls/s and client CPU µs per call). The gRPC suite runs it per slice, alternating, to
 * measure each client without the other's code, heap and JIT state in the same process.
 */
import * as grpc from '@grpc/grpc-js';
import { createGrpcClient } from '@outrigger/grpc';
import { Echo, type EchoMessage } from '../../../src/grpc/support/protos.js';

const [which, address, concurrencyText, callsText] = process.argv.slice(2);
const concurrency = Number(concurrencyText);
const calls = Number(callsText);
const MESSAGE: EchoMessage = { text: 'ping', n: 1 };
type Say = (m: EchoMessage, cb: (error: unknown) => void) => void;
const client =
  which === 'raw'
    ? new Echo(address!, grpc.credentials.createInsecure())
    : createGrpcClient(Echo, { service: 'bench', discovery: [address!] });
const say = (client as unknown as { Say: Say }).Say.bind(client);

function run(total: number): Promise<void> {
  let started = 0;
  let done = 0;
  return new Promise((resolve, reject) => {
    const next = (): void => {
      started++;
      say(MESSAGE, (error) => {
        if (error) return reject(error);
        if (++done === total) return resolve();
        if (started < total) next();
      });
    };
    for (let i = 0; i < concurrency; i++) next();
  });
}

await run(Math.max(2_000, calls / 4));
const cpu = process.cpuUsage();
const started = performance.now();
await run(calls);
const seconds = (performance.now() - started) / 1_000;
const used = process.cpuUsage(cpu);
console.log(JSON.stringify({ rps: calls / seconds, cpu: (used.user + used.system) / calls }));
await (client as unknown as { close(): Promise<void> | void }).close();
