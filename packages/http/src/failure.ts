import { maxHeaderSize } from 'node:http';
import { type CallContext, isOutriggerError, UnavailableError } from '@outrigger/core';
import { errors as undiciErrors } from 'undici';
import { httpClassifier } from './classify.js';
import { BodyReplayError } from './transport.js';

/**
 * What a failed call's caller gets, typed: Outrigger's refusals as they are, and a wire error
 * (a socket, TLS or undici error) as `UNAVAILABLE` with the wire error as `cause`, so that a
 * caller can handle "the service could not be reached" by one stable code without knowing
 * Node's or undici's. Anything else (an error thrown by the caller's own classifier, say)
 * passes unchanged: it is not a failure of the service.
 */
export function typedFailure(error: unknown, ctx: CallContext | undefined): unknown {
  if (isOutriggerError(error) || error instanceof BodyReplayError) return error;
  const service = ctx?.service ?? 'client';
  const reason = unreadableAnswer(error);
  if (reason !== undefined) return new UnavailableError({ service, unsent: false, reason }, error);
  if (typeof (error as { code?: unknown } | null)?.code !== 'string') return error;
  const unsent = ctx !== undefined && httpClassifier.classifyError(error, ctx) === 'unsent';
  return new UnavailableError({ service, unsent }, error);
}

/**
 * The server answered, but with something this client cannot read: saying "the connection
 * failed before a response arrived" would send the caller looking for an outage. undici's
 * parser error carries no code at all, so without this it would reach the caller untyped.
 */
function unreadableAnswer(error: unknown): string | undefined {
  if (error instanceof undiciErrors.HeadersOverflowError) {
    return (
      `the response's headers are larger than this process accepts (${maxHeaderSize} bytes): ` +
      'the server did answer; make its headers smaller, or start Node with a larger ' +
      '--max-http-header-size'
    );
  }
  if (error instanceof undiciErrors.HTTPParserError) {
    return (
      `the answer is not valid HTTP/1.1 (${error.message}): check that the endpoint speaks ` +
      'plain HTTP/1.1 on that port (not TLS, HTTP/2 only, or another protocol)'
    );
  }
  return undefined;
}
