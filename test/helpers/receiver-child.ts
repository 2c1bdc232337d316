/**
 * A receiver in its own process (see receiver-process.ts): started with one argument, `ok` or
 * `rate-limited:<n>`; prints its URL, then reports each arrival to the parent over IPC.
 */
import { rateLimited, startReceiver, type Arrival, type Reply } from './receiver';

const mode = process.argv[2] ?? 'ok';
const limit = /^rate-limited:(\d+)$/.exec(mode);
if (mode !== 'ok' && !limit) throw new Error(`unknown receiver mode ${mode}`);
const script: (a: Arrival) => Reply = limit ? rateLimited(Number(limit[1])).script : () => ({ status: 200 });

void startReceiver((arrival) => {
  const { body: _body, ...reported } = arrival;
  process.send?.(reported);
  return script(arrival);
}).then((receiver) => {
  process.send?.({ url: receiver.url, authority: receiver.authority });
  // The parent going away ends this process too.
  process.on('disconnect', () => process.exit(0));
});
