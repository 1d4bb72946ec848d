/**
 * The backend for the HTTP bench, in a child process so that the client's CPU is measured on
 * its own (on a 2-core machine the server gets the other core). A tiny keep-alive `node:http`
 * server on 127.0.0.1 answering `ok`.
 */
import { type ChildProcess, spawn } from 'node:child_process';

const SERVER = `
const http = require('node:http');
const server = http.createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '2' });
    res.end('ok');
  });
});
server.keepAliveTimeout = 60000;
server.listen(0, '127.0.0.1', () => process.send(server.address().port));
process.on('disconnect', () => server.close(() => process.exit(0)));
`;

export interface Backend {
  readonly port: number;
  /** The server process, for tools that read its CPU time. */
  readonly pid: number;
  stop(): Promise<void>;
}

export async function startBackend(): Promise<Backend> {
  const child: ChildProcess = spawn(process.execPath, ['-e', SERVER], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const port = await new Promise<number>((resolve, reject) => {
    child.once('message', (m) => resolve(Number(m)));
    child.once('exit', (code) => reject(new Error(`bench backend exited early (${code})`)));
  });
  return {
    port,
    pid: child.pid!,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.disconnect();
        setTimeout(() => child.kill('SIGKILL'), 2_000).unref();
      }),
  };
}
