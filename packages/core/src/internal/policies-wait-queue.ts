import { abortedError } from './policies-abort.js';

class Waiter<TData, TValue> {
  constructor(
    readonly data: TData,
    readonly signal: AbortSignal | undefined,
    readonly resolve: (value: TValue) => void,
    readonly reject: (reason: unknown) => void,
    readonly owner: Set<Waiter<TData, TValue>>,
    readonly onAbandon: () => void,
  ) {}

  // The waiter is its own abort listener (EventTarget calls `handleEvent`), so waiting costs no closure.
  handleEvent(): void {
    if (!this.owner.delete(this)) return;
    // Only the signal's abort event calls this, so `signal` is set.
    if (this.signal !== undefined) this.reject(abortedError(this.signal));
    this.onAbandon();
  }
}

/**
 * A FIFO of callers waiting for a policy to let them through. A waiter whose signal aborts leaves the
 * queue at once and rejects with an `aborted` LLMBatchError; its abort listener is removed whichever
 * way it leaves.
 */
export class WaitQueue<TData, TValue> {
  readonly #waiters = new Set<Waiter<TData, TValue>>();
  readonly #onAbandon: () => void;

  /** `onAbandon` runs after a waiter left because its signal aborted. */
  constructor(onAbandon: () => void) {
    this.#onAbandon = onAbandon;
  }

  /** How many callers wait. */
  get size(): number {
    return this.#waiters.size;
  }

  /** Waits until released; `data` is what the owner needs to decide (e.g. a token count). */
  wait(data: TData, signal: AbortSignal | undefined): Promise<TValue> {
    if (signal?.aborted) return Promise.reject(abortedError(signal));
    return new Promise<TValue>((resolve, reject) => {
      const waiter = new Waiter(data, signal, resolve, reject, this.#waiters, this.#onAbandon);
      this.#waiters.add(waiter);
      signal?.addEventListener('abort', waiter, { once: true });
    });
  }

  /** The data of the longest-waiting caller, or `undefined` when nobody waits. */
  head(): TData | undefined {
    for (const waiter of this.#waiters) return waiter.data;
    return undefined;
  }

  /** Lets the longest-waiting caller through with `value`; false when nobody waits. */
  releaseHead(value: TValue): boolean {
    for (const waiter of this.#waiters) {
      this.#release(waiter, value);
      return true;
    }
    return false;
  }

  /** Lets every waiting caller through with `value`, in arrival order. */
  releaseAll(value: TValue): void {
    for (const waiter of this.#waiters) this.#release(waiter, value);
  }

  #release(waiter: Waiter<TData, TValue>, value: TValue): void {
    this.#waiters.delete(waiter);
    waiter.signal?.removeEventListener('abort', waiter);
    waiter.resolve(value);
  }
}
