/**
 * A receiver in a child process, for tests that judge a pace by when requests arrive. In the test's
 * own process the worker and the receiver share one event loop, so a pause of that loop (a GC, a
 * busy moment on a loaded machine) stamps several arrivals late and together, and a steady pace
 * looks like a burst. A separate process stamps them as a real host would.
 */
import { fork } from 'node:child_process';
import path from 'node:path';
import { arrivalLog, type Arrival, type Receiver } from './receiver';

export type ReceiverMode = 'ok' | `rate-limited:${number}`;

export async function startReceiverProcess(mode: ReceiverMode = 'ok'): Promise<Receiver> {
  const log = arrivalLog();
  const child = fork(path.join(__dirname, 'receiver-child.ts'), [mode], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const address = await new Promise<{ url: string; authority: string }>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`receiver process exited with ${code} before listening`)));
    child.on('message', (m: { url?: string; authority?: string } & Omit<Arrival, 'body'>) => {
      if (m.url && m.authority) resolve({ url: m.url, authority: m.authority });
      else log.add({ ...m, body: Buffer.alloc(0) });
    });
  });
  child.removeAllListeners('exit');
  return {
    ...address,
    arrivals: log.arrivals,
    waitFor: log.waitFor,
    close: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill();
      }),
  };
}
