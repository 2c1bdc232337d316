/** One transaction on one pooled connection, shared by every store that writes more than one statement. */
import type pg from 'pg';

/** Runs `work` in a transaction on one pooled connection: committed if it returns, rolled back if it throws. */
export async function withTransaction<T>(pool: pg.Pool, work: (tx: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let broken = false;
  // A connection lost while checked out is emitted as an 'error' event: unheard, it would crash
  // the process (a worker's listener poll when PostgreSQL restarts). The query in flight fails too.
  const lost = (): void => void (broken = true);
  client.on('error', lost);
  try {
    await client.query('BEGIN');
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (err) {
    // A connection that cannot even roll back is dropped rather than handed to the next caller.
    await client.query('ROLLBACK').catch(() => (broken = true));
    throw err;
  } finally {
    client.off('error', lost);
    client.release(broken);
  }
}
