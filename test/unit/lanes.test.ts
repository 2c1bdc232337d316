import { inLanes } from '../../src/lanes';

test('runs every item at most `lanes` at a time and answers in the items\' order', async () => {
  let running = 0;
  let most = 0;
  const results = await inLanes([30, 5, 20, 1, 10, 2], 3, async (ms) => {
    running += 1;
    most = Math.max(most, running);
    await new Promise((resolve) => setTimeout(resolve, ms));
    running -= 1;
    return ms * 2;
  });
  expect(results).toEqual([60, 10, 40, 2, 20, 4]);
  expect(most).toBe(3);
});

test('no items, no lanes; a failure rejects the whole', async () => {
  expect(await inLanes([], 4, async () => 1)).toEqual([]);
  await expect(inLanes([1, 2], 2, async (n) => {
    if (n === 2) throw new Error('two');
    return n;
  })).rejects.toThrow('two');
});
