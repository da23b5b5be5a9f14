import type { Clock } from '../clock.js';
import { systemClock } from '../clock.js';
import { type CancelTimer, startTimer } from './policies-timer.js';

/** A call with a deadline, as a {@link Deadlines} keeps it. */
export interface DeadlineEntry {
  /** The deadline passed. */
  expire(): void;
  /** Links and due time, owned by the {@link Deadlines} the entry was started on. */
  deadlineAt: number;
  earlierEntry: DeadlineEntry | undefined;
  laterEntry: DeadlineEntry | undefined;
  cancelDeadline: CancelTimer | undefined;
}

/** Starts and stops the deadlines of calls that all have the same timeout. */
export interface Deadlines {
  readonly timeoutMs: number;
  start(entry: DeadlineEntry): void;
  stop(entry: DeadlineEntry): void;
}

/**
 * Deadlines for calls that share one timeout on the real clock. Calls that start later end later, so
 * the calls form a queue in deadline order and one timer, set for the earliest, serves all of them:
 * starting and stopping a call is linking and unlinking it, with no timer object per call. The timer
 * is cleared whenever no call is waiting, so an idle engine holds no timer (and never keeps the process
 * alive).
 */
class DeadlineQueue implements Deadlines {
  #earliest: DeadlineEntry | undefined;
  #latest: DeadlineEntry | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;
  // The deadline the timer was set for; it has passed when the timer fires, whatever Date.now() says.
  #timerFor = 0;

  constructor(readonly timeoutMs: number) {}

  start(entry: DeadlineEntry): void {
    entry.deadlineAt = Date.now() + this.timeoutMs;
    const latest = this.#latest;
    entry.earlierEntry = latest;
    entry.laterEntry = undefined;
    if (latest === undefined) this.#earliest = entry;
    else latest.laterEntry = entry;
    this.#latest = entry;
    if (this.#timer === undefined) this.#arm(entry.deadlineAt);
  }

  stop(entry: DeadlineEntry): void {
    this.#unlink(entry);
    if (this.#earliest === undefined && this.#timer !== undefined) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
    }
  }

  #unlink(entry: DeadlineEntry): void {
    const { earlierEntry, laterEntry } = entry;
    if (earlierEntry !== undefined) earlierEntry.laterEntry = laterEntry;
    else if (this.#earliest === entry) this.#earliest = laterEntry;
    else return; // not queued (already expired or stopped)
    if (laterEntry !== undefined) laterEntry.earlierEntry = earlierEntry;
    else this.#latest = earlierEntry;
    entry.earlierEntry = undefined;
    entry.laterEntry = undefined;
  }

  #arm(deadlineAt: number): void {
    this.#timerFor = deadlineAt;
    // Looked up at call time, so vitest's fake timers apply.
    this.#timer = setTimeout(fire, Math.max(0, deadlineAt - Date.now()), this);
  }

  fire(): void {
    this.#timer = undefined;
    const now = Math.max(Date.now(), this.#timerFor);
    for (let entry = this.#earliest; entry !== undefined && entry.deadlineAt <= now; entry = this.#earliest) {
      this.#unlink(entry);
      entry.expire();
    }
    if (this.#earliest !== undefined && this.#timer === undefined) this.#arm(this.#earliest.deadlineAt);
  }
}

function fire(queue: DeadlineQueue): void {
  queue.fire();
}

/** Deadlines on any other clock: one timer per call, through the clock's `sleep`. */
class ClockDeadlines implements Deadlines {
  constructor(
    readonly timeoutMs: number,
    private readonly clock: Clock,
  ) {}

  start(entry: DeadlineEntry): void {
    entry.cancelDeadline = startTimer(this.clock, this.timeoutMs, () => entry.expire());
  }

  stop(entry: DeadlineEntry): void {
    entry.cancelDeadline?.();
    entry.cancelDeadline = undefined;
  }
}

/** Deadlines of `timeoutMs` on `clock`: one shared timer on the real clock, a timer per call otherwise. */
export function createDeadlines(timeoutMs: number, clock: Clock): Deadlines {
  return clock === systemClock ? new DeadlineQueue(timeoutMs) : new ClockDeadlines(timeoutMs, clock);
}
