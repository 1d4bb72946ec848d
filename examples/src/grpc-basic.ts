/**
 * `npm run example -- grpc-basic`: `createGrpcClient` as a drop-in for a grpc-js generated
 * client. Two local Greeter servers, one of which answers UNAVAILABLE half the time: the same
 * `SayHello` call, as a callback and as a promise (`client.unary.SayHello`), is retried under
 * the budget and balanced by P2C-EWMA; the deadline travels as `grpc-timeout`.
 */
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { createGrpcClient } from '@outrigger/grpc';

interface HelloReply {
  message: string;
  instance: string;
}
type Greeter = grpc.ServiceClientConstructor;

const proto = fileURLToPath(new URL('../protos/greeter.proto', import.meta.url));
const loaded = grpc.loadPackageDefinition(protoLoader.loadSync(proto)) as unknown as {
  examples: { greeter: { Greeter: Greeter } };
};
const { Greeter } = loaded.examples.greeter;

async function startGreeter(instance: string, flaky: boolean): Promise<[grpc.Server, string]> {
  const server = new grpc.Server();
  let n = 0;
  server.addService(Greeter.service, {
    SayHello(
      call: grpc.ServerUnaryCall<{ name: string }, HelloReply>,
      done: grpc.sendUnaryData<HelloReply>,
    ) {
      if (flaky && n++ % 2 === 0) return done({ code: grpc.status.UNAVAILABLE, details: 'busy' });
      done(null, { message: `hello, ${call.request.name}`, instance });
    },
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) =>
      e ? reject(e) : resolve(p),
    ),
  );
  return [server, `127.0.0.1:${port}`];
}

const [steady, steadyAddress] = await startGreeter('steady', false);
const [flaky, flakyAddress] = await startGreeter('flaky', true);

const greeter = createGrpcClient(Greeter, {
  service: 'greeter',
  discovery: [steadyAddress, flakyAddress],
  timeout: { totalMs: 1_000 },
});

// The generated client's own callback form, unchanged:
const reply = await new Promise<HelloReply>((resolve, reject) =>
  (greeter as unknown as Record<string, Function>).SayHello!(
    { name: 'callback' },
    (error: grpc.ServiceError | null, value: HelloReply) =>
      error ? reject(error) : resolve(value),
  ),
);
console.log(reply);

// ...and as a promise, 40 times: every call succeeds, the flaky instance's refusals retried.
const byInstance: Record<string, number> = {};
for (let i = 0; i < 40; i++) {
  const r = (await greeter.unary.SayHello!({ name: `call ${i}` })) as HelloReply;
  byInstance[r.instance] = (byInstance[r.instance] ?? 0) + 1;
}
console.log('answers per instance:', byInstance);
console.log(greeter.describe());

await greeter.close();
steady.forceShutdown();
flaky.forceShutdown();
