// Helpers for the policies' tests only; nothing in the library imports this file.
import { LLMBatchError } from '../errors.js';

/** Resolves with the LLMBatchError `promise` rejects with; fails if it resolves or rejects with anything else. */
export function rejection(promise: Promise<unknown>): Promise<LLMBatchError> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (error: unknown) => {
      if (!LLMBatchError.isInstance(error)) throw error;
      return error;
    },
  );
}

/** A promise together with the functions that settle it. */
export interface Deferred<T> {
  promise: Promise<T>;
  resolve: (value: T) => void;
  reject: (reason: unknown) => void;
}

/** A promise the test settles by hand. */
export function deferred<T>(): Deferred<T> {
  let resolve: (value: T) => void = () => {};
  let reject: (reason: unknown) => void = () => {};
  const promise = new Promise<T>((onResolve, onReject) => {
    resolve = onResolve;
    reject = onReject;
  });
  return { promise, resolve, reject };
}
