import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One local instance of the demo's downstream service, and what is wrong with it. */
export interface Instance {
  readonly name: string;
  readonly address: string;
  hits: number;
  close(): Promise<void>;
}

type Behaviour = (respond: (status: number) => void, instance: Instance) => void;

const BEHAVIOURS: Record<string, Behaviour> = {
  // Answers in ~5 ms.
  healthy: (respond) => setTimeout(() => respond(200), 5),
  // Answers, but in 400 ms: one slow instance among four poisons a plain client's tail.
  slow: (respond) => setTimeout(() => respond(200), 400),
  // Fails every other call fast with 503: looks fast to a naive latency balancer.
  flaky: (respond, self) => setTimeout(() => respond(self.hits % 2 === 0 ? 503 : 200), 2),
};

async function listen(name: string, behaviour: Behaviour): Promise<Instance> {
  const server: Server = createServer();
  const instance: Instance = {
    name,
    address: '',
    hits: 0,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
  server.on('request', (req, res) => {
    instance.hits++;
    let done = false;
    req.on('close', () => {
      done = true;
    });
    req.resume();
    behaviour((status) => {
      if (done && res.destroyed) return;
      res.writeHead(status, { 'content-type': 'text/plain' });
      res.end(`${name} says ${status}`);
    }, instance);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  (instance as { address: string }).address = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  return instance;
}

/** A port that was just bound and released: connecting to it is refused, like a dead instance. */
async function deadAddress(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `127.0.0.1:${port}`;
}

/** Healthy, slow, flaky and dead instances of one service, all on 127.0.0.1. */
export async function startInstances(): Promise<{
  instances: Instance[];
  dead: string;
  close(): Promise<void>;
}> {
  const instances = [
    await listen('healthy', BEHAVIOURS.healthy!),
    await listen('slow', BEHAVIOURS.slow!),
    await listen('flaky', BEHAVIOURS.flaky!),
  ];
  const dead = await deadAddress();
  return {
    instances,
    dead,
    close: async () => void (await Promise.all(instances.map((i) => i.close()))),
  };
}
