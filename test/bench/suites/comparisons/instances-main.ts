/**
 * Child process for the comparison suites: `instances-main.ts <n>` starts `n` keep-alive HTTP
 * listeners on 127.0.0.1 (ports sent to the parent over IPC), each with its own behaviour
 * (delay, jitter, status) that the parent can change between slices, and counts the requests
 * each one receives: attempts are counted where they land, not where a client says it sent them.
 * In a process of its own so that its CPU is not the client's. Exits when the parent goes.
 */
import { createServer, type Server } from 'node:http';
import type { Behaviour, Command, Reply } from './instances.js';

const n = Number(process.argv[2] ?? 4);
const behaviours: Behaviour[] = Array.from({ length: n }, () => ({
  delayMs: 0,
  jitterMs: 0,
  status: 200,
}));
const counts = new Array<number>(n).fill(0);

const answer = (i: number, res: import('node:http').ServerResponse) => {
  const status = behaviours[i]!.status;
  res.writeHead(status, { 'content-type': 'text/plain', 'content-length': '2' });
  res.end(status === 200 ? 'ok' : 'no');
};

const servers: Server[] = behaviours.map((_, i) => {
  const server = createServer((req, res) => {
    counts[i]!++;
    req.resume();
    req.on('end', () => {
      const { delayMs, jitterMs } = behaviours[i]!;
      const wait = delayMs + (jitterMs > 0 ? Math.random() * jitterMs : 0);
      if (wait > 0) setTimeout(answer, wait, i, res);
      else answer(i, res);
    });
  });
  server.keepAliveTimeout = 60_000;
  return server;
});

const ports = await Promise.all(
  servers.map(
    (server) =>
      new Promise<number>((resolve) =>
        server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port)),
      ),
  ),
);
process.send!({ id: 0, ports } satisfies Reply);

process.on('message', (message: Command) => {
  if (message.op === 'set') {
    message.behaviours.forEach((b, i) => {
      behaviours[i] = b;
    });
  } else if (message.op === 'reset') {
    counts.fill(0);
  }
  process.send!({ id: message.id, counts: [...counts] } satisfies Reply);
});
process.on('disconnect', () => {
  for (const server of servers) server.closeAllConnections();
  process.exit(0);
});
