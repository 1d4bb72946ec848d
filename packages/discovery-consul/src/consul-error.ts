/** What went wrong talking to Consul, for code that reacts (`status` 404 is "no such key"). */
export type ConsulErrorKind = 'network' | 'timeout' | 'status' | 'too-large' | 'malformed';

/**
 * A failed Consul request. The message names the method, path and what happened, never the
 * ACL token (it travels in a header, and any echo of it in a body is redacted).
 */
export class ConsulError extends Error {
  readonly kind: ConsulErrorKind;
  /** The HTTP status, for `kind: 'status'`. */
  readonly status: number | undefined;
  constructor(
    kind: ConsulErrorKind,
    message: string,
    options?: { cause?: unknown; status?: number },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ConsulError';
    this.kind = kind;
    this.status = options?.status;
  }
}

/** Replaces every occurrence of the token in text meant for logs or error messages. */
export function redact(text: string, token: string | undefined): string {
  return token ? text.split(token).join('<redacted>') : text;
}
