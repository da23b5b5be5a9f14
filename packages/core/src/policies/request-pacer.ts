import type { Clock } from '../clock.js';
import type { RateLimitInfo } from '../providers/provider.js';

/** Share of the provider's refill rate the pacer sends at, leaving slack for timing jitter. */
const ceiling = 0.95;
/** Headroom above this share of the limit turns pacing off again. */
const highWater = 0.5;

interface Dimension {
  low: boolean;
  high: boolean;
  /** Units per millisecond the provider refills, when the headers tell. */
  refill: number | undefined;
}

function dimension(
  limit: number | undefined,
  remaining: number | undefined,
  resetMs: number | undefined,
  inFlight: number,
  lowWater: number,
): Dimension | undefined {
  if (limit === undefined || remaining === undefined || !(limit > 0)) return undefined;
  // Our own calls still in flight were counted by the provider after this answer's figures.
  const headroom = remaining - inFlight;
  const refill =
    resetMs !== undefined && resetMs > 0 && limit > remaining ? (limit - remaining) / resetMs : undefined;
  return { low: headroom < lowWater * limit, high: headroom > highWater * limit, refill };
}

/**
 * Spaces attempts when a provider's rate-limit headers say its allowance runs low. Providers refill
 * their allowance continuously (a token bucket), and `(limit - remaining) / reset` is that refill
 * rate; the pacer then starts attempts no faster than `factor` (at most 95%) of it, for requests and
 * for tokens, with no burst. A 429 while pacing lowers `factor`; each success raises it back by 0.01.
 * Headroom above half the limit turns pacing off.
 */
export class RequestPacer {
  #requestRate: number | undefined;
  #tokenRate: number | undefined;
  #factor = ceiling;
  #nextRequestAt = 0;
  #nextTokenAt = 0;
  readonly #clock: Clock;
  readonly #onChange: (pacing: { requestsPerMinute?: number; tokensPerMinute?: number } | undefined) => void;

  constructor(
    clock: Clock,
    onChange: (pacing: { requestsPerMinute?: number; tokensPerMinute?: number } | undefined) => void,
  ) {
    this.#clock = clock;
    this.#onChange = onChange;
  }

  /** Learns from an answer's headers; returns true when the allowance runs low. */
  observe(info: RateLimitInfo, activeRequests: number, activeTokens: number, lowWater: number): boolean {
    const now = this.#clock.now();
    const requests = dimension(
      info.limitRequests,
      info.remainingRequests,
      info.resetRequestsMs,
      activeRequests,
      lowWater,
    );
    const tokens = dimension(
      info.limitTokens,
      info.remainingTokens,
      info.resetTokensMs,
      activeTokens,
      lowWater,
    );
    const wasPacing = this.#requestRate !== undefined || this.#tokenRate !== undefined;
    if (requests?.low === true && requests.refill !== undefined) {
      if (this.#requestRate === undefined) this.#nextRequestAt = now;
      this.#requestRate = requests.refill;
    } else if (requests?.high === true) {
      this.#requestRate = undefined;
    }
    if (tokens?.low === true && tokens.refill !== undefined) {
      if (this.#tokenRate === undefined) this.#nextTokenAt = now;
      this.#tokenRate = tokens.refill;
    } else if (tokens?.high === true) {
      this.#tokenRate = undefined;
    }
    const isPacing = this.#requestRate !== undefined || this.#tokenRate !== undefined;
    if (isPacing !== wasPacing) this.#onChange(this.pacing());
    return requests?.low === true || tokens?.low === true;
  }

  /** The current pace, or `undefined` when attempts are not spaced. */
  pacing(): { requestsPerMinute?: number; tokensPerMinute?: number } | undefined {
    if (this.#requestRate === undefined && this.#tokenRate === undefined) return undefined;
    const out: { requestsPerMinute?: number; tokensPerMinute?: number } = {};
    if (this.#requestRate !== undefined) out.requestsPerMinute = this.#requestRate * this.#factor * 60_000;
    if (this.#tokenRate !== undefined) out.tokensPerMinute = this.#tokenRate * this.#factor * 60_000;
    return out;
  }

  /** Requests per millisecond the pacer lets through, 0 when it is off. */
  requestsPerMs(): number {
    return this.#requestRate === undefined ? 0 : this.#requestRate * this.#factor;
  }

  /** After a 429: the headers' estimate was too generous (someone else shares the allowance). */
  slowDown(decreaseFactor: number): void {
    if (this.#requestRate !== undefined || this.#tokenRate !== undefined) {
      this.#factor = Math.max(0.05, this.#factor * decreaseFactor);
    }
  }

  /** After a success: creep back towards the ceiling. */
  speedUp(): void {
    if (this.#factor < ceiling) this.#factor = Math.min(ceiling, this.#factor + 0.01);
  }

  /** Reserves the next start time; resolves then (or `undefined` when the attempt may start now). */
  wait(tokens: number, signal: AbortSignal): Promise<void> | undefined {
    const requestRate = this.#requestRate;
    const tokenRate = this.#tokenRate;
    if (requestRate === undefined && tokenRate === undefined) return undefined;
    const now = this.#clock.now();
    let start = now;
    if (requestRate !== undefined) start = Math.max(start, this.#nextRequestAt);
    if (tokenRate !== undefined) start = Math.max(start, this.#nextTokenAt);
    if (requestRate !== undefined) this.#nextRequestAt = start + 1 / (requestRate * this.#factor);
    if (tokenRate !== undefined) this.#nextTokenAt = start + tokens / (tokenRate * this.#factor);
    const delayMs = start - now;
    return delayMs < 1 ? undefined : this.#clock.sleep(delayMs, signal);
  }
}
