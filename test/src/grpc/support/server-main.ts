/**
 * Entry point of a gRPC test server in a child process (see server-process.ts):
 *
 *   node --import tsx server-main.ts <test|echo> ['{"port":0,"behaviour":{...}}']
 *
 * Prints `{"port":N,"pid":P}` on stdout once listening. Exits when its stdin closes, so that a
 * parent that dies without cleaning up (even SIGKILLed) takes its servers with it.
 */
import type { SpawnOptions } from './server-process.js';
import { type RunningServer, startEchoServer, startTestServer } from './test-service.js';

const [kind, json] = process.argv.slice(2);
const options = (json ? JSON.parse(json) : {}) as SpawnOptions;
const listen = options.port === undefined ? {} : { port: options.port };

let running: RunningServer;
if (kind === 'test') running = await startTestServer(listen);
else if (kind === 'echo') running = await startEchoServer(options.behaviour ?? {}, listen);
else {
  console.error(`server-main: unknown kind ${kind}; valid: test, echo`);
  process.exit(2);
}

const stop = () => {
  void running.close().finally(() => process.exit(0));
};
process.stdin.on('end', stop).on('close', stop).resume();
process.on('SIGTERM', stop);
process.stdout.write(`${JSON.stringify({ port: running.port, pid: process.pid })}\n`);
