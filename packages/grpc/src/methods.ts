import { ConfigInvalidError } from '@outrigger/core';

/** The four call shapes of gRPC, by (requestStream, responseStream). */
export type CallKind = 'unary' | 'clientStream' | 'serverStream' | 'bidi';

/** Per-method settings (`methods: { SayHello: { idempotent: false } }`). */
export interface MethodOptions {
  /** Safe to send twice. Default: the proto's `idempotency_level` if it says so, else the client's `idempotent`. */
  idempotent?: boolean | undefined;
}

/** One method of the service, read once from the generated client's definition. */
export interface MethodInfo {
  /** The key in the definition (`SayHello` from proto-loader, `sayHello` from grpc-tools). */
  readonly name: string;
  /** Other names the generated client answers to (proto-loader's lower-camel `originalName`). */
  readonly aliases: readonly string[];
  /** `/package.Service/Method`, what goes on the wire and what routes match. */
  readonly path: string;
  /** `package.Service` and `Method` (for describe() and telemetry). */
  readonly rpcService: string;
  readonly rpcMethod: string;
  /** `package.Service/Method`: the span name, made once rather than per call. */
  readonly spanName: string;
  readonly kind: CallKind;
  readonly serialize: (message: unknown) => Buffer;
  readonly deserialize: (bytes: Buffer) => unknown;
  readonly idempotent: boolean;
}

/** What grpc-js's `makeClientConstructor` leaves on the constructor (`Ctor.service`). */
interface MethodDefinitionLike {
  path?: unknown;
  requestStream?: unknown;
  responseStream?: unknown;
  requestSerialize?: unknown;
  responseDeserialize?: unknown;
  originalName?: unknown;
  options?: { idempotency_level?: unknown; idempotencyLevel?: unknown } | undefined;
}

const EXPECTED_CTOR =
  'a client constructor made by @grpc/grpc-js (loadPackageDefinition(...).pkg.Service, ' +
  'or grpc-tools codegen), whose static `service` maps method names to definitions';

/**
 * Reads the methods of a grpc-js client constructor. Throws CONFIG_INVALID for anything that is
 * not one, and for per-method options naming a method the service does not have.
 */
export function readMethods(
  ctor: unknown,
  service: string,
  idempotentByDefault: boolean,
  perMethod: Readonly<Record<string, MethodOptions>> | undefined,
): Map<string, MethodInfo> {
  const definition =
    typeof ctor === 'function' ? (ctor as { service?: unknown }).service : undefined;
  if (definition === null || typeof definition !== 'object' || Array.isArray(definition)) {
    throw new ConfigInvalidError({
      setting: `${service}: createGrpcClient(ClientConstructor)`,
      value: describeValue(ctor),
      expected: EXPECTED_CTOR,
    });
  }
  const methods = new Map<string, MethodInfo>();
  for (const [name, raw] of Object.entries(definition as Record<string, MethodDefinitionLike>)) {
    const def = raw ?? {};
    if (
      typeof def.path !== 'string' ||
      !/^\/[^/]+\/[^/]+$/.test(def.path) ||
      typeof def.requestSerialize !== 'function' ||
      typeof def.responseDeserialize !== 'function'
    ) {
      throw new ConfigInvalidError({
        setting: `${service}: createGrpcClient(ClientConstructor).service.${name}`,
        value: describeValue(raw),
        expected:
          'a method definition with path "/package.Service/Method", requestSerialize and responseDeserialize',
      });
    }
    const [, rpcService, rpcMethod] = def.path.split('/') as [string, string, string];
    const original = typeof def.originalName === 'string' ? def.originalName : undefined;
    const own = perMethod?.[name] ?? (original ? perMethod?.[original] : undefined);
    methods.set(name, {
      name,
      aliases: original && original !== name ? [original] : [],
      path: def.path,
      rpcService,
      rpcMethod,
      spanName: `${rpcService}/${rpcMethod}`,
      kind: kindOf(def.requestStream === true, def.responseStream === true),
      serialize: def.requestSerialize as (message: unknown) => Buffer,
      deserialize: def.responseDeserialize as (bytes: Buffer) => unknown,
      idempotent: own?.idempotent ?? (protoSaysIdempotent(def) || idempotentByDefault),
    });
  }
  if (methods.size === 0) {
    throw new ConfigInvalidError({
      setting: `${service}: createGrpcClient(ClientConstructor).service`,
      value: '{}',
      expected: `${EXPECTED_CTOR}, with at least one method`,
    });
  }
  checkPerMethod(methods, service, perMethod);
  return methods;
}

function checkPerMethod(
  methods: Map<string, MethodInfo>,
  service: string,
  perMethod: Readonly<Record<string, MethodOptions>> | undefined,
): void {
  if (perMethod === undefined) return;
  if (perMethod === null || typeof perMethod !== 'object') {
    throw new ConfigInvalidError({
      setting: `${service}: option methods`,
      value: describeValue(perMethod),
      expected: 'an object keyed by method name, e.g. { SayHello: { idempotent: false } }',
    });
  }
  const known = new Set<string>();
  for (const m of methods.values()) {
    known.add(m.name);
    for (const alias of m.aliases) known.add(alias);
  }
  for (const [name, value] of Object.entries(perMethod)) {
    if (!known.has(name)) {
      throw new ConfigInvalidError({
        setting: `${service}: option methods.${name}`,
        value: name,
        expected: `a method of the service: ${[...known].join(', ')}`,
      });
    }
    if (!isMethodOptions(value)) {
      throw new ConfigInvalidError({
        setting: `${service}: option methods.${name}`,
        value,
        expected: METHOD_OPTIONS_FORM,
      });
    }
  }
}

/** What one entry of `methods` may hold. */
export const METHOD_OPTIONS_FORM = '{ idempotent?: boolean }';

/** One entry of `methods` (the client's and the interceptor's): `{ idempotent?: boolean }`. */
export function isMethodOptions(value: unknown): value is MethodOptions {
  if (value === null || typeof value !== 'object') return false;
  const idempotent = (value as MethodOptions).idempotent;
  return (
    (idempotent === undefined || typeof idempotent === 'boolean') &&
    Object.keys(value).every((k) => k === 'idempotent')
  );
}

function kindOf(requestStream: boolean, responseStream: boolean): CallKind {
  if (requestStream) return responseStream ? 'bidi' : 'clientStream';
  return responseStream ? 'serverStream' : 'unary';
}

/** proto-loader copies `option idempotency_level = ...` into the method's `options`. */
function protoSaysIdempotent(def: MethodDefinitionLike): boolean {
  const level = def.options?.idempotency_level ?? def.options?.idempotencyLevel;
  return level === 'IDEMPOTENT' || level === 'NO_SIDE_EFFECTS' || level === 1 || level === 2;
}

function describeValue(value: unknown): string {
  if (typeof value === 'function') return `function ${value.name || '(anonymous)'}`;
  if (value === null) return 'null';
  if (typeof value === 'object') return `object with keys [${Object.keys(value).join(', ')}]`;
  return String(value);
}
