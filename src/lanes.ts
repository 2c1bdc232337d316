/**
 * A few at a time: `each` runs over the items in at most `lanes` concurrent lanes, each lane taking
 * the next item when it finishes one. For calls that each hold a pooled connection or a Temporal
 * request: all at once would exhaust the pool, one by one would be too slow.
 */
export async function inLanes<T, R>(items: readonly T[], lanes: number, each: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const lane = async (): Promise<void> => {
    for (let i = next++; i < items.length; i = next++) results[i] = await each(items[i]);
  };
  await Promise.all(Array.from({ length: Math.min(lanes, items.length) }, lane));
  return results;
}
