/**
 * Failures on the transaction path are values, never exceptions (the OpenFeature habit):
 * callers branch on `ok` and count the reason in metrics.
 */
export type Result<T, E = Problem> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: E };

/** A reason something was refused: a stable code for metrics, a message naming where and why. */
export interface Problem {
  readonly code: string;
  readonly message: string;
}

export const ok = <T>(value: T): Result<T, never> => ({ ok: true, value });
export const err = <E = Problem>(error: E): Result<never, E> => ({ ok: false, error });
export const problem = (code: string, message: string): Problem => ({ code, message });
