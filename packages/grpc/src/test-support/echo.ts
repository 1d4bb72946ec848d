import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { HEALTH_SERVICE } from './health-service.js';

const definition = protoLoader.loadSync(fileURLToPath(new URL('./echo.proto', import.meta.url)), {
  keepCase: false,
  longs: String,
  enums: String,
  defaults: true,
});
const loaded = grpc.loadPackageDefinition(definition) as unknown as {
  outrigger: { echo: { Echo: grpc.ServiceClientConstructor } };
};

/** The generated client constructor, as an application gets it from proto-loader. */
export const EchoClient = loaded.outrigger.echo.Echo;

export interface EchoRequest {
  text: string;
  count: number;
  delayMs: number;
}

export interface EchoReply {
  text: string;
  index: number;
  peer: string;
}

/** What one server does with a call; the default echoes. */
export interface Behaviour {
  /** Fail the call with this status (and trailers) instead of answering; called per call. */
  fail?(
    method: string,
    n: number,
  ): { code: number; details?: string; trailers?: Record<string, string> } | undefined;
  /** Delay the answer of call `n` (1-based) of `method` by this many ms. */
  delay?(method: string, n: number): number | undefined;
  /** Server-streaming: fail after this many messages. */
  failStreamAfter?: number;
}

export interface EchoServer {
  readonly address: string;
  readonly port: number;
  /** Calls seen, by method name. */
  readonly calls: Record<string, number>;
  /** Calls the client cancelled on the wire, by method. */
  readonly cancelled: Record<string, number>;
  /** Inbound metadata of the last call, by method. */
  readonly lastMetadata: Record<string, grpc.Metadata>;
  /** Deadline grpc-js saw on the last call (ms since epoch, Infinity for none). */
  lastDeadline: number;
  behaviour: Behaviour;
  /** Serves grpc.health.v1.Health with this status and tells every open watch (1 SERVING, 2 NOT_SERVING). */
  setHealth(status: number): void;
  /** Stops at once (live calls are cut, like a dead instance). */
  kill(): void;
  close(): Promise<void>;
}

/** A real grpc-js Echo server on 127.0.0.1, port 0. */
export async function startEchoServer(behaviour: Behaviour = {}): Promise<EchoServer> {
  const server = new grpc.Server();
  const state = {
    calls: {} as Record<string, number>,
    cancelled: {} as Record<string, number>,
    lastMetadata: {} as Record<string, grpc.Metadata>,
    lastDeadline: Number.POSITIVE_INFINITY,
    behaviour,
  };
  let port = 0;
  const seen = (
    method: string,
    call: { metadata: grpc.Metadata; getDeadline(): grpc.Deadline },
  ) => {
    const n = (state.calls[method] ?? 0) + 1;
    state.calls[method] = n;
    state.lastMetadata[method] = call.metadata;
    const deadline = call.getDeadline();
    state.lastDeadline = deadline instanceof Date ? deadline.getTime() : deadline;
    return state.behaviour.fail?.(method, n);
  };
  const statusOf = (f: { code: number; details?: string; trailers?: Record<string, string> }) => {
    const metadata = new grpc.Metadata();
    for (const [k, v] of Object.entries(f.trailers ?? {})) metadata.set(k, v);
    return { code: f.code, details: f.details ?? 'scripted failure', metadata };
  };
  const reply = (text: string, index: number): EchoReply => ({ text, index, peer: String(port) });
  server.addService(EchoClient.service, {
    Say(call: grpc.ServerUnaryCall<EchoRequest, EchoReply>, cb: grpc.sendUnaryData<EchoReply>) {
      const f = seen('Say', call);
      if (f) return cb(statusOf(f));
      const answer = () => cb(null, reply(call.request.text, 0));
      const delayMs = state.behaviour.delay?.('Say', state.calls.Say!) ?? call.request.delayMs;
      if (delayMs > 0) {
        const t = setTimeout(answer, delayMs);
        call.on('cancelled', () => {
          clearTimeout(t);
          state.cancelled.Say = (state.cancelled.Say ?? 0) + 1;
        });
      } else answer();
    },
    Charge(call: grpc.ServerUnaryCall<EchoRequest, EchoReply>, cb: grpc.sendUnaryData<EchoReply>) {
      const f = seen('Charge', call);
      if (f) return cb(statusOf(f));
      cb(null, reply(call.request.text, 0));
    },
    Count(call: grpc.ServerWritableStream<EchoRequest, EchoReply>) {
      const f = seen('Count', call);
      if (f) return call.emit('error', statusOf(f));
      const failAfter = state.behaviour.failStreamAfter;
      for (let i = 0; i < call.request.count; i++) {
        if (failAfter !== undefined && i === failAfter) {
          call.emit('error', { code: grpc.status.UNAVAILABLE, details: 'mid-stream' });
          return;
        }
        call.write(reply(call.request.text, i));
      }
      call.end();
    },
    Collect(
      call: grpc.ServerReadableStream<EchoRequest, EchoReply>,
      cb: grpc.sendUnaryData<EchoReply>,
    ) {
      const f = seen('Collect', call);
      const texts: string[] = [];
      call.on('data', (m: EchoRequest) => texts.push(m.text));
      call.on('end', () => {
        if (f) return cb(statusOf(f));
        const trailers = new grpc.Metadata();
        trailers.set('x-count', String(texts.length));
        cb(null, reply(texts.join(','), texts.length), trailers);
      });
    },
    Chat(call: grpc.ServerDuplexStream<EchoRequest, EchoReply>) {
      const f = seen('Chat', call);
      const echo = call.metadata.get('x-echo')[0];
      if (echo !== undefined) {
        const initial = new grpc.Metadata();
        initial.set('x-echo', String(echo));
        call.sendMetadata(initial);
      }
      let i = 0;
      call.on('data', (m: EchoRequest) => {
        if (f) return;
        call.write(reply(m.text, i++));
      });
      call.on('end', () => {
        if (f) return call.emit('error', statusOf(f));
        const trailers = new grpc.Metadata();
        trailers.set('x-chat-count', String(i));
        call.end(trailers);
      });
    },
  });
  let health = 1;
  const watches = new Set<grpc.ServerWritableStream<unknown, { status: number }>>();
  server.addService(HEALTH_SERVICE, {
    Check: (_call: unknown, cb: grpc.sendUnaryData<{ status: number }>) =>
      cb(null, { status: health }),
    Watch: (call: grpc.ServerWritableStream<unknown, { status: number }>) => {
      watches.add(call);
      call.on('cancelled', () => watches.delete(call));
      call.write({ status: health });
    },
  });
  port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (error, p) =>
      error ? reject(error) : resolve(p),
    ),
  );
  return {
    address: `127.0.0.1:${port}`,
    port,
    calls: state.calls,
    cancelled: state.cancelled,
    lastMetadata: state.lastMetadata,
    get lastDeadline() {
      return state.lastDeadline;
    },
    set lastDeadline(v) {
      state.lastDeadline = v;
    },
    get behaviour() {
      return state.behaviour;
    },
    set behaviour(b) {
      state.behaviour = b;
    },
    setHealth: (status) => {
      health = status;
      for (const call of watches) call.write({ status });
    },
    kill: () => server.forceShutdown(),
    close: () =>
      new Promise<void>((resolve) => {
        server.tryShutdown(() => resolve());
      }),
  };
}

/** A port with nothing listening (bound, then released). */
export async function deadPort(): Promise<number> {
  const { createServer } = await import('node:net');
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}
