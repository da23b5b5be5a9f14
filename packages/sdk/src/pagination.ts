/**
 * One page of a cursor-paginated list, as the server sends it.
 *
 * @example
 * ```ts
 * for await (const page of client.apiTokens.list().pages()) console.log(page.data.length, page.nextCursor);
 * ```
 */
export interface Page<Item> {
  data: Item[];
  /** Pass as `cursor` to get the next page; `null` on the last page. */
  nextCursor: string | null;
}

/**
 * A list across every page: iterate it with `for await` to get items, fetching the next page only when
 * the loop reaches it (breaking the loop fetches nothing more).
 *
 * @example
 * ```ts
 * for await (const key of client.providerKeys.list()) console.log(key.name);
 * const all = await client.apiTokens.list({ limit: 100 }).toArray();
 * ```
 */
export interface PageIterator<Item> extends AsyncIterable<Item> {
  /** The pages themselves, e.g. to show them one at a time. */
  pages(): AsyncIterable<Page<Item>>;
  /** Every item of every page. */
  toArray(): Promise<Item[]>;
}

/**
 * Builds a {@link PageIterator} from a function that fetches one page for a cursor (`undefined` for
 * the first page).
 *
 * @example
 * ```ts
 * const items = paginate((cursor) => fetchPage({ cursor }));
 * ```
 */
export function paginate<Item>(
  fetchPage: (cursor: string | undefined) => Promise<Page<Item>>,
): PageIterator<Item> {
  async function* pages(): AsyncGenerator<Page<Item>> {
    let cursor: string | undefined;
    do {
      const page = await fetchPage(cursor);
      yield page;
      cursor = page.nextCursor ?? undefined;
    } while (cursor !== undefined);
  }
  async function* items(): AsyncGenerator<Item> {
    for await (const page of pages()) yield* page.data;
  }
  return {
    pages,
    [Symbol.asyncIterator]: items,
    async toArray() {
      const all: Item[] = [];
      for await (const item of items()) all.push(item);
      return all;
    },
  };
}
