import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import { onAbort } from './abort-fan-out.js';

describe('onAbort', () => {
  it('adds one native listener however many watchers, and calls only those still watching', () => {
    const controller = new AbortController();
    const calls: number[] = [];
    const stops = Array.from({ length: 1000 }, (_, index) =>
      onAbort(controller.signal, () => calls.push(index)),
    );
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(1);
    for (const stop of stops.slice(0, 998)) stop();
    controller.abort();
    expect(calls).toEqual([998, 999]);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  });

  it('removes the native listener when the last watcher stops', () => {
    const controller = new AbortController();
    const stopFirst = onAbort(controller.signal, () => {});
    const stopSecond = onAbort(controller.signal, () => {});
    stopFirst();
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(1);
    stopSecond();
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
    let called = false;
    onAbort(controller.signal, () => {
      called = true;
    });
    controller.abort();
    expect(called).toBe(true);
  });
});
