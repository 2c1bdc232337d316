/**
 * The campaign-rate benchmark's headline figure is the most arrivals in any window [t, t + 60 s):
 * its counting must be exact at the window's edges, or "never above the limit" means nothing.
 */
import { maxInWindow } from '../../bench/scenarios/campaign-rate';

describe('maxInWindow', () => {
  test('the window is half-open: an arrival exactly one window later is not in it', () => {
    expect(maxInWindow([0, 59_999, 60_000], 60_000)).toEqual({ most: 2, fromMs: 0 });
    expect(maxInWindow([0, 59_999, 59_999.5], 60_000)).toEqual({ most: 3, fromMs: 0 });
  });

  test('an even pace gives its count per window, a burst is found where it is', () => {
    const even = Array.from({ length: 200 }, (_, i) => i * 100);
    expect(maxInWindow(even, 1_000).most).toBe(10);
    const burst = [...even.slice(0, 50), 5_000.5, 5_001, 5_002, ...even.slice(51)].sort((a, b) => a - b);
    // [5000.5, 6000.5): the three, then 5100 … 6000.
    expect(maxInWindow(burst, 1_000)).toEqual({ most: 13, fromMs: 5_000.5 });
  });

  test('no arrivals, no window', () => {
    expect(maxInWindow([], 60_000).most).toBe(0);
  });
});
