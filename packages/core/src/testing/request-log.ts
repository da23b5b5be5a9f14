/**
 * A bounded log that keeps the last `capacity` entries in a ring, so logging costs the same at the
 * millionth request as at the first.
 */
export class RequestLog<T> {
  private readonly entries: (T | undefined)[];
  private next = 0;
  private size = 0;

  constructor(readonly capacity: number) {
    this.entries = new Array<T | undefined>(capacity);
  }

  /** Adds an entry, dropping the oldest when full. */
  add(entry: T): void {
    if (this.capacity === 0) return;
    this.entries[this.next] = entry;
    this.next = (this.next + 1) % this.capacity;
    if (this.size < this.capacity) this.size += 1;
  }

  /** The entries kept, oldest first, as a new array. */
  toArray(): T[] {
    const out: T[] = [];
    const start = this.size < this.capacity ? 0 : this.next;
    for (let offset = 0; offset < this.size; offset += 1) {
      const entry = this.entries[(start + offset) % this.capacity];
      if (entry !== undefined) out.push(entry);
    }
    return out;
  }
}
