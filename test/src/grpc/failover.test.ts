/**
 * gRPC instances that die the way real ones do: child processes SIGKILLed mid-run, with calls in
 * flight on their connections. Every unary call must still succeed (retries and requeues to the
 * live instances, within the budget), and a process that closes its client must exit by itself.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type * as grpc from '@grpc/grpc-js';
import { createGrpcClient } from '@outrigger/grpc';
import { afterAll, describe, expect, it } from 'vitest';
import { Echo, type EchoMessage } from './support/protos.js';
import { killGrpcServers, type SpawnedServer, spawnGrpcServer } from './support/server-process.js';

afterAll(() => killGrpcServers());

type SayClient = {
  Say(m: EchoMessage, cb: (e: grpc.ServiceError | null, r?: EchoMessage) => void): unknown;
};

function say(client: SayClient, n: number): Promise<grpc.ServiceError | null> {
  return new Promise((resolve) => client.Say({ text: 'ping', n }, (error) => resolve(error)));
}

describe('gRPC failover across instances', () => {
  it('three instances, one SIGKILLed mid-run: every unary call succeeds', async () => {
    const instances: SpawnedServer[] = await Promise.all([
      spawnGrpcServer('echo'),
      spawnGrpcServer('echo'),
      spawnGrpcServer('echo'),
    ]);
    const client = createGrpcClient(Echo, {
      service: 'echo-fleet',
      discovery: instances.map((s) => s.address),
      timeout: { totalMs: 5_000 },
    });
    const TOTAL = 600;
    const CONCURRENCY = 16;
    let next = 0;
    let killed = false;
    const errors: grpc.ServiceError[] = [];
    const worker = async () => {
      while (next < TOTAL) {
        const n = next++;
        if (n === TOTAL / 3 && !killed) {
          killed = true;
          // Not awaited: the kill lands while this worker's neighbours have calls in flight.
          void instances[1]!.kill('SIGKILL');
        }
        const error = await say(client as unknown as SayClient, n);
        if (error) errors.push(error);
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    expect(killed).toBe(true);
    expect(await instances[1]!.exited).toBe(null);
    expect(errors.map((e) => `${e.code} ${e.details}`)).toEqual([]);
    await client.close();
    expect(client.openChannels).toBe(0);
    await Promise.all([instances[0]!.kill(), instances[2]!.kill()]);
  }, 30_000);

  it('close() leaves no handles: a process that closes its client exits on its own', async () => {
    const server = await spawnGrpcServer('echo');
    const script = fileURLToPath(new URL('./support/close-and-exit.ts', import.meta.url));
    const child = spawn(process.execPath, ['--import', 'tsx', script, server.address], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (d) => (out += String(d)));
    const code = await new Promise<number | null>((resolve) => {
      const guard = setTimeout(() => {
        child.kill('SIGKILL');
        resolve(-1);
      }, 15_000);
      child.on('exit', (c) => {
        clearTimeout(guard);
        resolve(c);
      });
    });
    expect(out).toContain('calls done');
    expect(code).toBe(0);
    await server.kill();
  }, 30_000);
});
