import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import {
  AbortRelay,
  type AbortWatcher,
  hasDeadline,
  listenForAbort,
  type SignalListener,
  stopListening,
  unwatchAbort,
  watchAbort,
} from './abort-fan-out.js';

describe('watchAbort', () => {
  it('adds one native listener however many watchers, and calls only those still watching', () => {
    const controller = new AbortController();
    const calls: number[] = [];
    const watchers = Array.from({ length: 1000 }, (_, index) => ({ handleAbort: () => calls.push(index) }));
    for (const watcher of watchers) watchAbort(controller.signal, watcher);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(1);
    for (const watcher of watchers.slice(0, 998)) unwatchAbort(controller.signal, watcher);
    controller.abort();
    expect(calls).toEqual([998, 999]);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  });

  it('removes the native listener when the last watcher stops', () => {
    const controller = new AbortController();
    const first = { handleAbort: () => {} };
    const second = { handleAbort: () => {} };
    watchAbort(controller.signal, first);
    watchAbort(controller.signal, second);
    unwatchAbort(controller.signal, first);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(1);
    unwatchAbort(controller.signal, second);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
    let called = false;
    watchAbort(controller.signal, {
      handleAbort: () => {
        called = true;
      },
    });
    controller.abort();
    expect(called).toBe(true);
  });
});

describe('watchAbort order', () => {
  it('tells the watchers still watching, in the order they started, and tolerates a second stop', () => {
    const controller = new AbortController();
    const told: string[] = [];
    const watcher = (name: string): AbortWatcher => ({ handleAbort: () => told.push(name) });
    const [a, b, c, d] = [watcher('a'), watcher('b'), watcher('c'), watcher('d')];
    for (const each of [a, b, c, d]) watchAbort(controller.signal, each);
    unwatchAbort(controller.signal, b);
    unwatchAbort(controller.signal, d);
    unwatchAbort(controller.signal, b);
    controller.abort();
    expect(told).toEqual(['a', 'c']);
    // Told watchers are unlinked, so stopping them afterwards is harmless too.
    unwatchAbort(controller.signal, a);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  });
});

describe('AbortRelay', () => {
  it('tells one listener of its signal directly, without an EventTarget listener; a second one listens natively', () => {
    const controller = new AbortController();
    const relay = new AbortRelay(controller.signal);
    const calls: string[] = [];
    const listener = (name: string): SignalListener => ({
      handleAbort: () => calls.push(`${name} relay`),
      handleEvent: () => calls.push(`${name} event`),
    });
    const first = listener('first');
    const second = listener('second');
    expect(hasDeadline(controller.signal)).toBe(true);
    expect(hasDeadline(new AbortController().signal)).toBe(false);
    listenForAbort(controller.signal, first);
    listenForAbort(controller.signal, second);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(1);
    controller.abort();
    relay.aborted();
    expect(calls).toEqual(['second event', 'first relay']);
  });

  it('forgets a listener that stopped listening', () => {
    const controller = new AbortController();
    const relay = new AbortRelay(controller.signal);
    const calls: string[] = [];
    const listener: SignalListener = {
      handleAbort: () => calls.push('relay'),
      handleEvent: () => calls.push('event'),
    };
    listenForAbort(controller.signal, listener);
    stopListening(controller.signal, listener);
    controller.abort();
    relay.aborted();
    expect(calls).toEqual([]);
  });
});
