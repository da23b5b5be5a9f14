/**
 * One native 'abort' listener per signal, fanning out to the watchers of that signal. Thousands of
 * calls in flight each watch the same run-wide signal; EventTarget removal is linear in the listener
 * count, this is constant. The native listener goes away with the last watcher, so nothing leaks.
 *
 * The watchers form an intrusive doubly linked list whose links are cleared on removal. A `Set` would do
 * the same job but, under steady churn, V8 rehashes its table every few hundred additions and links
 * each obsolete table to its successor; an obsolete table that reached the old generation then keeps
 * every later table, and every call they reference, alive through young-generation collections until
 * the next full collection. With calls in flight all the time that promoted nearly all of every call's
 * memory.
 */

/**
 * Something told once when a signal aborts. An object rather than a closure, so watching allocates
 * nothing. It watches one signal at a time (the links below belong to that signal's list).
 */
export interface AbortWatcher {
  handleAbort(): void;
  /** Links of the watcher list; owned by this module, `undefined` while not watching. */
  previousWatcher?: AbortWatcher | undefined;
  nextWatcher?: AbortWatcher | undefined;
}

class Watchers {
  head: AbortWatcher | undefined;
  tail: AbortWatcher | undefined;
  readonly listener: () => void;

  constructor(signal: AbortSignal) {
    this.listener = () => {
      watched.delete(signal);
      // Unlink everything first: a watcher may start or stop watching other signals when told.
      let current = this.head;
      this.head = undefined;
      this.tail = undefined;
      while (current !== undefined) {
        const next = current.nextWatcher;
        current.previousWatcher = undefined;
        current.nextWatcher = undefined;
        current.handleAbort();
        current = next;
      }
    };
  }
}

const watched = new WeakMap<AbortSignal, Watchers>();

/**
 * Calls `watcher.handleAbort()` once when `signal` aborts, until {@link unwatchAbort} is called.
 * Watchers are told in the order they started watching.
 */
export function watchAbort(signal: AbortSignal, watcher: AbortWatcher): void {
  let entry = watched.get(signal);
  if (entry === undefined) {
    entry = new Watchers(signal);
    watched.set(signal, entry);
    signal.addEventListener('abort', entry.listener, { once: true });
  }
  const tail = entry.tail;
  watcher.previousWatcher = tail;
  watcher.nextWatcher = undefined;
  if (tail === undefined) entry.head = watcher;
  else tail.nextWatcher = watcher;
  entry.tail = watcher;
}

/** Stops telling `watcher` about `signal`; removes the native listener with the last watcher. */
export function unwatchAbort(signal: AbortSignal, watcher: AbortWatcher): void {
  const entry = watched.get(signal);
  if (entry === undefined) return;
  const { previousWatcher, nextWatcher } = watcher;
  if (previousWatcher !== undefined) previousWatcher.nextWatcher = nextWatcher;
  else if (entry.head === watcher) entry.head = nextWatcher;
  else return; // not watching this signal (already told, or never added)
  if (nextWatcher !== undefined) nextWatcher.previousWatcher = previousWatcher;
  else entry.tail = previousWatcher;
  watcher.previousWatcher = undefined;
  watcher.nextWatcher = undefined;
  if (entry.head === undefined) {
    watched.delete(signal);
    signal.removeEventListener('abort', entry.listener);
  }
}

const relayKey = Symbol('llmbatch.abortRelay');

/** What an {@link AbortRelay} tells: the code that aborts the signal calls it after aborting. */
interface RelayedSignal extends AbortSignal {
  [relayKey]?: AbortRelay;
}

/**
 * A direct line from the code that owns an AbortController to one watcher of its signal, bypassing
 * EventTarget. The engine gives every attempt a fresh signal and aborts it itself (deadline or
 * cancellation); its own HTTP sender watches that signal through the relay. An EventTarget listener
 * added and removed per request costs an allocation-heavy listener record and, measured at hundreds of
 * requests in flight, several times the young-generation survival of the request itself.
 */
export class AbortRelay {
  #watcher: AbortWatcher | undefined;

  /** Attaches the relay to `signal`, which only the relay's owner aborts. */
  constructor(signal: AbortSignal) {
    (signal as RelayedSignal)[relayKey] = this;
  }

  /** The owner aborted the signal: tells the watcher, if any, once. */
  aborted(): void {
    const watcher = this.#watcher;
    this.#watcher = undefined;
    watcher?.handleAbort();
  }

  /** Takes `watcher` if the relay has none; false when it already has one (then listen the usual way). */
  attach(watcher: AbortWatcher): boolean {
    if (this.#watcher !== undefined) return false;
    this.#watcher = watcher;
    return true;
  }

  /** Lets go of `watcher`; false when it was not the relay's watcher. */
  detach(watcher: AbortWatcher): boolean {
    if (this.#watcher !== watcher) return false;
    this.#watcher = undefined;
    return true;
  }
}

/**
 * Something that listens to a signal both ways: through an {@link AbortRelay} (`handleAbort`) or as an
 * EventTarget listener object (`handleEvent`).
 */
export interface SignalListener extends AbortWatcher {
  handleEvent(): void;
}

/** True for a signal whose owner aborts it at a deadline of its own (it carries an {@link AbortRelay}). */
export function hasDeadline(signal: AbortSignal): boolean {
  return (signal as RelayedSignal)[relayKey] !== undefined;
}

/** Listens to `signal` through its relay when it has a free one, else with a native listener. */
export function listenForAbort(signal: AbortSignal, listener: SignalListener): void {
  const relay = (signal as RelayedSignal)[relayKey];
  if (relay?.attach(listener) !== true) signal.addEventListener('abort', listener, { once: true });
}

/** Undoes {@link listenForAbort}. */
export function stopListening(signal: AbortSignal, listener: SignalListener): void {
  if ((signal as RelayedSignal)[relayKey]?.detach(listener) !== true) {
    signal.removeEventListener('abort', listener);
  }
}
