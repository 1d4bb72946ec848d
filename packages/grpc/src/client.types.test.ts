import * as grpc from '@grpc/grpc-js';
import { describe, expectTypeOf, it } from 'vitest';
import type { createGrpcClient } from './client.js';

interface HelloRequest {
  name: string;
}
interface HelloReply {
  message: string;
}
type Callback = (error: grpc.ServiceError | null, response: HelloReply) => void;

/** The shape grpc-tools' d.ts (grpc_tools_node_protoc_ts) declares for a generated client. */
declare class GreeterClient extends grpc.Client {
  sayHello(request: HelloRequest, callback: Callback): grpc.ClientUnaryCall;
  sayHello(
    request: HelloRequest,
    metadata: grpc.Metadata,
    callback: Callback,
  ): grpc.ClientUnaryCall;
  sayHello(
    request: HelloRequest,
    metadata: grpc.Metadata,
    options: Partial<grpc.CallOptions>,
    callback: Callback,
  ): grpc.ClientUnaryCall;
  listHellos(
    request: HelloRequest,
    metadata?: grpc.Metadata,
    options?: Partial<grpc.CallOptions>,
  ): grpc.ClientReadableStream<HelloReply>;
  collectHellos(
    metadata: grpc.Metadata,
    options: Partial<grpc.CallOptions>,
    callback: Callback,
  ): grpc.ClientWritableStream<HelloRequest>;
}

describe('createGrpcClient types', () => {
  it('keeps the generated methods, drops grpc-js housekeeping, and types the promise helper', () => {
    type Made = ReturnType<typeof createGrpcClient<typeof GreeterClient>>;
    expectTypeOf<Made['sayHello']>().toEqualTypeOf<GreeterClient['sayHello']>();
    expectTypeOf<Made['listHellos']>().toEqualTypeOf<GreeterClient['listHellos']>();
    expectTypeOf<Made>().not.toHaveProperty('waitForReady');
    expectTypeOf<Made['close']>().returns.toEqualTypeOf<Promise<void>>();
    expectTypeOf<Made['unary']['sayHello']>().parameter(0).toEqualTypeOf<HelloRequest>();
    expectTypeOf<Made['unary']['sayHello']>().returns.resolves.toEqualTypeOf<HelloReply>();
    expectTypeOf<keyof Made['unary']>().toEqualTypeOf<'sayHello'>();
  });
});
