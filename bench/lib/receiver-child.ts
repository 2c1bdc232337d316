/**
 * The bench receiver in its own process (startBenchReceiverProcess in receiver.ts): sends its URL
 * to the parent, then its arrivals, gathered for up to 20 ms so that a busy run costs few messages.
 */
import { startBenchReceiver, type Arrival } from './receiver';

let batch: Arrival[] = [];
let timer: NodeJS.Timeout | undefined;
const flush = (): void => {
  timer = undefined;
  const arrivals = batch;
  batch = [];
  process.send?.({ arrivals });
};

void startBenchReceiver(undefined, (arrival) => {
  batch.push(arrival);
  timer ??= setTimeout(flush, 20);
}).then((receiver) => {
  process.send?.({ url: receiver.url, authority: receiver.authority });
  // The parent going away ends this process too.
  process.on('disconnect', () => process.exit(0));
});
