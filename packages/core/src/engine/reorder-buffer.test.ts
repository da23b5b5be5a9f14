import { describe, expect, it } from 'vitest';
import type { UnitResult } from '../types.js';
import { ReorderBuffer } from './reorder-buffer.js';

const result = (index: number) => ({ index }) as UnitResult;

describe('ReorderBuffer', () => {
  it('hands results over in input order however far ahead later ones finish, skipping dropped units', () => {
    const buffer = new ReorderBuffer(true, () => {});
    for (let index = 0; index < 500; index++) buffer.admit();
    // Everything after unit 0 finishes first, in reverse, with every 7th unit dropped.
    for (let index = 499; index >= 1; index--)
      buffer.deliver(index, index % 7 === 0 ? undefined : result(index));
    expect(buffer.take()).toBeUndefined();
    buffer.deliver(0, result(0));
    const taken: number[] = [];
    for (let next = buffer.take(); next !== undefined; next = buffer.take()) taken.push(next.index);
    expect(taken).toEqual(
      Array.from({ length: 500 }, (_, index) => index).filter((index) => index === 0 || index % 7 !== 0),
    );
    expect(buffer.outstanding).toBe(0);
  });
});
