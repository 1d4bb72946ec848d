/**
 * HTTP instances in child processes: one SIGKILLed looks to the client like an instance that
 * died (connections reset, the port refuses), which an in-process server closed politely does
 * not, and under the soak the servers' CPU is not the client's. Each answers `ok`, or with the
 * faults it was started with, drawn per request.
 */
import { type ChildProcess, spawn } from 'node:child_process';

export interface InstanceFaults {
  /** Share of requests answered 503 (0 to 1). */
  readonly unavailable?: number;
  /** Share of requests whose connection is reset before any answer. */
  readonly reset?: number;
  /** Share of requests answered after `slowMs`. */
  readonly slow?: number;
  readonly slowMs?: number;
}

const SERVER = `
const http = require('node:http');
const { port, unavailable = 0, reset = 0, slow = 0, slowMs = 0 } = JSON.parse(process.argv[1]);
const server = http.createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    const r = Math.random();
    if (r < reset) return req.socket.resetAndDestroy();
    if (r < reset + unavailable) {
      res.writeHead(503, { 'content-length': '0' });
      return res.end();
    }
    const answer = () => {
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '2' });
      res.end('ok');
    };
    if (r < reset + unavailable + slow) setTimeout(answer, slowMs);
    else answer();
  });
});
server.keepAliveTimeout = 60000;
server.listen(port, '127.0.0.1', () => process.send(server.address().port));
process.on('disconnect', () => process.exit(0));
`;

export interface HttpInstance {
  /** `127.0.0.1:<port>`. */
  readonly address: string;
  readonly port: number;
  /** SIGKILL (a crash) by default; resolves once the process is gone. */
  kill(signal?: NodeJS.Signals): Promise<void>;
}

/** Starts an instance on `port` (0: any free one; a fixed one brings a killed instance back). */
export async function startInstance(faults: InstanceFaults = {}, port = 0): Promise<HttpInstance> {
  const child: ChildProcess = spawn(
    process.execPath,
    ['-e', SERVER, JSON.stringify({ port, ...faults })],
    { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] },
  );
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const bound = await new Promise<number>((resolve, reject) => {
    child.once('message', (m) => resolve(Number(m)));
    child.once('exit', (code) => reject(new Error(`HTTP instance exited early (${code})`)));
  });
  return {
    address: `127.0.0.1:${bound}`,
    port: bound,
    kill(signal: NodeJS.Signals = 'SIGKILL') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}
