import { describe, expect, it } from 'vitest';
import { createRateLimiter } from './rate-limiter.js';

function clock(start = 0) {
  let time = start;
  return { now: () => time, advance: (ms: number) => (time += ms) };
}

describe('createRateLimiter', () => {
  it('lets a burst of requestsPerMinute through, then refills one request per 60000/limit ms', () => {
    const time = clock();
    const limiter = createRateLimiter({ requestsPerMinute: 60 }, time.now);
    const burst = Array.from({ length: 70 }, () => limiter.take(1).allowed);
    expect(burst.filter(Boolean)).toHaveLength(60);
    expect(burst.slice(0, 60).every(Boolean)).toBe(true);

    const refused = limiter.take(1);
    expect(refused).toEqual({
      allowed: false,
      retryAfterMs: 1000,
      exceeded: 'requests',
      requests: { limit: 60, remaining: 0, resetMs: 60_000 },
      tokens: undefined,
    });
    time.advance(400);
    expect(limiter.take(1).retryAfterMs).toBe(600);
    time.advance(600);
    expect(limiter.take(1)).toMatchObject({ allowed: true, requests: { remaining: 0, resetMs: 60_000 } });
    expect(limiter.take(1).allowed).toBe(false);
  });

  it('refills no further than the limit after a long pause', () => {
    const time = clock();
    const limiter = createRateLimiter({ requestsPerMinute: 10 }, time.now);
    for (let index = 0; index < 10; index += 1) limiter.take(1);
    time.advance(10 * 60_000);
    const results = Array.from({ length: 11 }, () => limiter.take(1).allowed);
    expect(results.filter(Boolean)).toHaveLength(10);
  });

  it('charges the token cost and says when enough tokens are back', () => {
    const time = clock();
    const limiter = createRateLimiter({ tokensPerMinute: 100 }, time.now);
    expect(limiter.take(40)).toMatchObject({
      allowed: true,
      tokens: { limit: 100, remaining: 60, resetMs: 24_000 },
    });
    expect(limiter.take(40).allowed).toBe(true);
    // 20 tokens left, 40 needed: 20 tokens at 100 per minute take 12 s.
    expect(limiter.take(40)).toMatchObject({ allowed: false, retryAfterMs: 12_000, exceeded: 'tokens' });
    time.advance(12_000);
    expect(limiter.take(40)).toMatchObject({ allowed: true, tokens: { remaining: 0 } });
  });

  it('takes nothing from either bucket when one of them is short', () => {
    const time = clock();
    const limiter = createRateLimiter({ requestsPerMinute: 5, tokensPerMinute: 100 }, time.now);
    expect(limiter.take(90).allowed).toBe(true);
    expect(limiter.take(20)).toMatchObject({
      allowed: false,
      exceeded: 'tokens',
      requests: { remaining: 4 },
    });
    expect(limiter.take(10)).toMatchObject({
      allowed: true,
      requests: { remaining: 3 },
      tokens: { remaining: 0 },
    });
  });

  it('refuses a request larger than the whole token limit without a retry time', () => {
    const limiter = createRateLimiter({ tokensPerMinute: 100 }, () => 0);
    expect(limiter.take(101)).toMatchObject({ allowed: false, retryAfterMs: undefined, exceeded: 'tokens' });
    expect(limiter.take(100).allowed).toBe(true);
  });
});
