/**
 * One native 'abort' listener per signal, fanning out to a Set of callbacks. Thousands of calls in
 * flight each watch the same run-wide signal; EventTarget removal is linear in the listener count, a
 * Set's is constant. The native listener goes away with the last watcher, so nothing leaks.
 */
interface Watchers {
  callbacks: Set<() => void>;
  listener: () => void;
}

const watched = new WeakMap<AbortSignal, Watchers>();

/** Calls `callback` once when `signal` aborts; returns the function that stops watching. */
export function onAbort(signal: AbortSignal, callback: () => void): () => void {
  let entry = watched.get(signal);
  if (entry === undefined) {
    const callbacks = new Set<() => void>();
    const listener = () => {
      watched.delete(signal);
      for (const watcher of callbacks) watcher();
      callbacks.clear();
    };
    entry = { callbacks, listener };
    watched.set(signal, entry);
    signal.addEventListener('abort', listener, { once: true });
  }
  const { callbacks, listener } = entry;
  callbacks.add(callback);
  return () => {
    if (!callbacks.delete(callback) || callbacks.size > 0) return;
    if (watched.get(signal)?.callbacks === callbacks) watched.delete(signal);
    signal.removeEventListener('abort', listener);
  };
}
