import { AttemptMemo } from '../../activities/attempt-memo';

describe('AttemptMemo', () => {
  test('a key asked twice runs its work once and both callers get the same answer', async () => {
    const memo = new AttemptMemo<number>();
    let runs = 0;
    let finish!: (n: number) => void;
    const work = () => {
      runs += 1;
      return new Promise<number>((resolve) => (finish = resolve));
    };
    const first = memo.run('run-1/1', work);
    const again = memo.run('run-1/1', work);
    finish(200);
    await expect(first).resolves.toBe(200);
    await expect(again).resolves.toBe(200);
    await expect(memo.run('run-1/1', work)).resolves.toBe(200);
    expect(runs).toBe(1);
    expect(memo.get('run-1/1')).toBeDefined();
    expect(memo.get('run-1/2')).toBeUndefined();
  });

  test('finished answers expire after keepMs; a running one is never dropped', async () => {
    const memo = new AttemptMemo<string>({ keepMs: 1_000, maxFinished: 100 });
    await memo.run('done', async () => 'a', 0);
    const running = memo.run('running', () => new Promise<string>(() => undefined), 0);
    expect(memo.size).toBe(2);
    memo.run('later', async () => 'b', Date.now() + 5_000);
    expect(memo.get('done')).toBeUndefined();
    expect(memo.get('running')).toBe(running);
  });

  test('at most maxFinished answers are kept, oldest dropped first', async () => {
    const memo = new AttemptMemo<number>({ keepMs: 60_000, maxFinished: 3 });
    for (let i = 0; i < 10; i++) await memo.run(`k${i}`, async () => i);
    memo.run('probe', async () => -1);
    expect(memo.size).toBeLessThanOrEqual(4);
    expect(memo.get('k0')).toBeUndefined();
    expect(memo.get('k9')).toBeDefined();
  });
});
