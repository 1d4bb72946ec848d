import type { Classifier, Verdict } from '../classify/classifier.js';
import type { CallContext } from '../context/call-context.js';

/**
 * How one call or attempt ended: a value or an error. Every policy that looks at outcomes
 * (retry, hedge, the guards, the deadline) takes this one type, judges it with `classify` and
 * passes it on whole, so none of them writes the value and error paths twice.
 */
export type Outcome<T> =
  | { readonly ok: true; readonly value: T; readonly error: undefined }
  | { readonly ok: false; readonly value: undefined; readonly error: unknown };

/** Both shapes carry both fields, so every outcome has one hidden class. */
export function succeeded<T>(value: T): Outcome<T> {
  return { ok: true, value, error: undefined };
}

export function failedWith<T = never>(error: unknown): Outcome<T> {
  return { ok: false, value: undefined, error };
}

/** The classifier's verdict on `outcome`: its result or its error, as the case may be. */
export function classify<T>(
  classifier: Classifier<T>,
  outcome: Outcome<T>,
  ctx: CallContext,
): Verdict {
  return outcome.ok
    ? classifier.classifyResult(outcome.value, ctx)
    : classifier.classifyError(outcome.error, ctx);
}

/** The value of a successful outcome; the error of a failed one, thrown. */
export function unwrap<T>(outcome: Outcome<T>): T {
  if (outcome.ok) return outcome.value;
  throw outcome.error;
}
