/** True for a promise (or any thenable), so hot paths can skip an `await` on plain values. */
export function isPromise<T>(value: T | Promise<T>): value is Promise<T> {
  return (
    typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function'
  );
}
