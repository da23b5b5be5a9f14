import { type Clock, systemClock } from '../clock.js';

/** Stops a timer started by {@link startTimer}; calling it after the timer fired does nothing. */
export type CancelTimer = () => void;

const ignore = (): void => {};

/**
 * Calls `callback` once after `delayMs` on `clock`, and returns a function that cancels it.
 *
 * The real clock uses `setTimeout` directly (looked up at call time, so vitest's fake timers apply),
 * which saves an AbortController per timer on the hot path. Any other clock goes through its `sleep`.
 */
export function startTimer(clock: Clock, delayMs: number, callback: () => void): CancelTimer {
  if (clock === systemClock) {
    const handle = setTimeout(callback, delayMs);
    return () => clearTimeout(handle);
  }
  const controller = new AbortController();
  clock.sleep(delayMs, controller.signal).then(callback, ignore);
  return () => controller.abort();
}
