import { LLMBatchError } from '../errors.js';

/**
 * The `aborted` error for a cancelled signal. The signal's reason becomes the `cause`; when the reason
 * already is an `aborted` LLMBatchError (the engine aborted with one), it is returned as it is.
 */
export function abortedError(signal: AbortSignal): LLMBatchError {
  const reason: unknown = signal.reason;
  if (LLMBatchError.isInstance(reason) && reason.code === 'aborted') return reason;
  return new LLMBatchError({
    code: 'aborted',
    message: 'The operation was aborted',
    cause: reason,
    isRetryable: false,
    isAvailabilityFailure: false,
  });
}

/** True for an LLMBatchError with code `aborted`. */
export function isAbortedError(value: unknown): boolean {
  return LLMBatchError.isInstance(value) && value.code === 'aborted';
}
