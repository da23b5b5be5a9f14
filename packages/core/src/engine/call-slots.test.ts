import { describe, expect, it } from 'vitest';
import { CallSlots } from './call-slots.js';

describe('CallSlots', () => {
  it('counts calls in flight, reports each freed slot, and resolves idle once all have ended', async () => {
    let freed = 0;
    const slots = new CallSlots(2, () => {
      freed++;
    });
    const finish: Array<() => void> = [];
    const task = () =>
      new Promise<void>((resolve) => {
        finish.push(resolve);
      });
    await slots.idle();
    slots.run(task);
    slots.run(task);
    expect(slots.running).toBe(2);
    let idle = false;
    const waiting = slots.idle().then(() => {
      idle = true;
    });
    finish[0]?.();
    await new Promise((resolve) => setImmediate(resolve));
    expect(slots.running).toBe(1);
    expect(freed).toBe(1);
    expect(idle).toBe(false);
    finish[1]?.();
    await waiting;
    expect(slots.running).toBe(0);
    expect(freed).toBe(2);
  });
});
