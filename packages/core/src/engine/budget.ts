import type { ModelPrice } from '../pricing/price-table.js';
import type { ProviderRequest } from '../providers/provider.js';

/**
 * A run's cost budget. Each call reserves its worst-case cost before it is sent and settles its real
 * cost when it ends, so the spent plus reserved amount never passes `maxCost`.
 */
export class Budget {
  spent = 0;
  reserved = 0;
  #wake: Array<() => void> = [];

  constructor(readonly maxCost: number) {}

  /**
   * Reserves `amount` USD. When it does not fit while other calls hold reservations, waits for them to
   * settle and tries again; false when it cannot fit (nothing else is reserved) or `signal` aborted
   * (call {@link Budget.interrupt} on abort to wake the waiters).
   */
  reserve(amount: number, signal: AbortSignal): boolean | Promise<boolean> {
    if (this.spent + this.reserved + amount <= this.maxCost) {
      this.reserved += amount;
      return true;
    }
    return this.#reserveLater(amount, signal);
  }

  async #reserveLater(amount: number, signal: AbortSignal): Promise<boolean> {
    while (this.spent + this.reserved + amount > this.maxCost) {
      if (this.reserved <= 0 || signal.aborted) return false;
      await new Promise<void>((resolve) => this.#wake.push(resolve));
    }
    this.reserved += amount;
    return true;
  }

  /** Wakes every waiting reservation so it can see its signal aborted. */
  interrupt(): void {
    const wake = this.#wake;
    this.#wake = [];
    for (const resolve of wake) resolve();
  }

  /** Replaces a reservation by the real cost (`null`, an unknown price, counts as the reservation). */
  settle(reservedAmount: number, actualCost: number | null): void {
    this.reserved = Math.max(0, this.reserved - reservedAmount);
    this.spent += actualCost ?? reservedAmount;
    this.interrupt();
  }
}

/**
 * The most a call can cost: every byte of the prompt as one token (byte-level BPE tokenizers never
 * produce more tokens than bytes) at the highest input rate, plus `maxTokens` of output.
 */
export function worstCaseCost(
  request: Pick<ProviderRequest, 'messages'>,
  price: ModelPrice,
  extraInputBytes: number,
  maxOutputTokens: number,
): number {
  let bytes = extraInputBytes;
  for (const message of request.messages) bytes += Buffer.byteLength(message.content, 'utf8') + 8;
  const inputRate = Math.max(price.input, price.cacheWrite ?? price.input);
  return (bytes * inputRate + maxOutputTokens * price.output) / 1_000_000;
}
