/**
 * The test protos (test/protos), loaded the way most grpc-js users load theirs: proto-loader at
 * run time, then `grpc.loadPackageDefinition`, so the clients here are the dynamically generated
 * ones Outrigger has to be a drop-in for.
 */
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';

export const PROTO_DIR = fileURLToPath(new URL('../../../protos/', import.meta.url));

/**
 * The options of grpc-node's own examples and of most code in the wild. `keepCase` keeps the
 * field names as written (`response_size`, not `responseSize`); `enums: String` gives
 * `'COMPRESSABLE'` rather than 0; `defaults` fills absent fields (a message field becomes
 * null, bytes an empty Buffer), so handlers need not guard every read.
 */
export const LOADER_OPTIONS: protoLoader.Options = {
  keepCase: true,
  longs: String,
  enums: String,
  defaults: true,
  oneofs: true,
  includeDirs: [PROTO_DIR],
};

function load(file: string): grpc.GrpcObject {
  return grpc.loadPackageDefinition(protoLoader.loadSync(file, LOADER_OPTIONS));
}

function ctor(root: grpc.GrpcObject, path: string): grpc.ServiceClientConstructor {
  let node: unknown = root;
  for (const part of path.split('.')) node = (node as Record<string, unknown>)[part];
  if (typeof node !== 'function') throw new Error(`no service ${path} in the loaded protos`);
  return node as grpc.ServiceClientConstructor;
}

const testing = load('grpc/testing/test.proto');
const echo = load('echo.proto');

export const TestService = ctor(testing, 'grpc.testing.TestService');
export const UnimplementedService = ctor(testing, 'grpc.testing.UnimplementedService');
export const Echo = ctor(echo, 'outrigger.test.Echo');

export const testServiceDefinition: grpc.ServiceDefinition = TestService.service;
export const echoServiceDefinition: grpc.ServiceDefinition = Echo.service;

/**
 * A generated client seen from a test: its methods are added at run time (both `UnaryCall` and
 * `unaryCall`), so they are looked up by name and called with the shapes grpc-js documents.
 */
// biome-ignore lint/suspicious/noExplicitAny: generated methods have no static types
export type AnyClient = Record<string, any>;

// Messages as the loader options above decode them (snake_case fields, enums as strings).

export interface Payload {
  type?: 'COMPRESSABLE';
  body: Buffer;
}

export interface EchoStatus {
  code: number;
  message: string;
}

export interface SimpleRequest {
  response_type?: 'COMPRESSABLE';
  response_size?: number;
  payload?: Payload | null;
  response_status?: EchoStatus | null;
  fill_username?: boolean;
  fill_oauth_scope?: boolean;
  fill_server_id?: boolean;
}

export interface SimpleResponse {
  payload: Payload | null;
  username: string;
  oauth_scope: string;
  server_id: string;
}

export interface StreamingInputCallRequest {
  payload?: Payload | null;
}

export interface StreamingInputCallResponse {
  aggregated_payload_size: number;
}

export interface ResponseParameters {
  size: number;
  interval_us?: number;
}

export interface StreamingOutputCallRequest {
  response_type?: 'COMPRESSABLE';
  response_parameters?: ResponseParameters[];
  payload?: Payload | null;
  response_status?: EchoStatus | null;
}

export interface StreamingOutputCallResponse {
  payload: Payload | null;
}

export interface EchoMessage {
  text: string;
  n: number;
}

/** A payload of `size` zero bytes, as the interop cases send and expect. */
export const zeros = (size: number): Payload => ({
  type: 'COMPRESSABLE',
  body: Buffer.alloc(size),
});
