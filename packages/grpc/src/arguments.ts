import { type CallOptions, Metadata } from '@grpc/grpc-js';

export type Callback = (error: unknown, value?: unknown) => void;

export interface CallArguments {
  metadata: Metadata | undefined;
  options: CallOptions | undefined;
  callback: Callback | undefined;
}

/**
 * The optional arguments of a generated client's method, as grpc-js reads them:
 * `(metadata?, options?, callback?)` with any of them left out, a Metadata told from an options
 * object by its class. Throws a TypeError for what grpc-js would refuse too.
 */
export function readArguments(
  method: string,
  args: readonly unknown[],
  wantsCallback: boolean,
): CallArguments {
  let metadata: Metadata | undefined;
  let options: CallOptions | undefined;
  let callback: Callback | undefined;
  let i = 0;
  if (args[i] instanceof Metadata) metadata = args[i++] as Metadata;
  else if (args[i] === undefined && i < args.length - 1) i++;
  const next = args[i];
  if (next !== null && typeof next === 'object' && !(next instanceof Metadata)) {
    options = next as CallOptions;
    i++;
  } else if (next === undefined && i < args.length - 1) i++;
  if (typeof args[i] === 'function') callback = args[i++] as Callback;
  if (i < args.length && args[i] !== undefined) {
    throw new TypeError(
      `${method}: incorrect arguments after the request: expected (metadata?, options?${
        wantsCallback ? ', callback' : ''
      })`,
    );
  }
  if (wantsCallback && callback === undefined)
    throw new TypeError(`${method}: the last argument must be a callback (error, response)`);
  if (!wantsCallback && callback !== undefined)
    throw new TypeError(`${method}: a streaming-response method takes no callback`);
  return { metadata, options, callback };
}
