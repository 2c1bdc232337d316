/** The floor scenario's worker: the empty workflow, with Hookflow's payload codec as Hookflow's worker has it. */
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { hookflowDataConverter } from '../../src/temporal/connect';

async function run(): Promise<void> {
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const connection = await NativeConnection.connect({ address: process.env.TEMPORAL_ADDRESS! });
  const worker = await Worker.create({
    connection,
    taskQueue: process.env.TASK_QUEUE!,
    workflowsPath: require.resolve('./workflows'),
    dataConverter: hookflowDataConverter(process.env.HOOKFLOW_ENCRYPTION_KEY!),
  });
  process.stdout.write('ready\n');
  await worker.run();
  await connection.close();
}

run().catch((err) => {
  console.error(err);
  process.exit(1);
});
