/**
 * Wall-clock time for expiries and timestamps, injected so tests can move time forward.
 *
 * @example
 * ```ts
 * let now = new Date('2026-01-01T00:00:00Z');
 * const clock: WallClock = { now: () => now };
 * ```
 */
export interface WallClock {
  /** The current time. */
  now(): Date;
}

/**
 * The real clock.
 *
 * @example
 * ```ts
 * const server = await createServer({ config, clock: systemWallClock });
 * ```
 */
export const systemWallClock: WallClock = { now: () => new Date() };
