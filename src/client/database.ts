/**
 * The SDK's PostgreSQL side, connected on first use (sending a webhook needs no database): the
 * ledger, and the services built on its pool — templates, journeys, campaigns. `run` is how the
 * SDK reaches them: a lost connection becomes a DependencyUnavailableError (503 naming postgres).
 */
import type { Client } from '@temporalio/client';
import type pg from 'pg';
import { CampaignService } from '../campaign/service';
import type { Config } from '../config';
import { resolveEncryptionKey } from '../data-dir';
import { onDatabase } from '../db/errors';
import { createPool, resolveDatabaseUrl } from '../db/pool';
import { JourneyService } from '../journey/service';
import { LedgerStore } from '../ledger/store';
import { TemplateService } from '../template/service';
import { parseEncryptionKey } from '../temporal/codec';
import type { TemporalCall } from './webhook-workflows';

export interface ClientDatabaseDeps {
  config: Config;
  /** Overrides the config's (and the embedded one's) URL. */
  databaseUrl?: string;
  /** Needed only for the ledger (its requests are encrypted); resolved on first use when not given. */
  encryptionKey?: string;
  client: Client;
  /** The API and a worker in one process: journey entries start on that worker too. */
  eagerStart: boolean;
  temporal: TemporalCall;
}

export class ClientDatabase {
  private store?: LedgerStore;
  private templateService?: TemplateService;
  private journeyService?: JourneyService;
  private campaignService?: CampaignService;

  constructor(private readonly deps: ClientDatabaseDeps) {}

  /** Runs a call on the database; an unreachable PostgreSQL becomes a 503 naming it. */
  run<T>(call: (db: ClientDatabase) => Promise<T>): Promise<T> {
    return onDatabase(() => call(this));
  }

  /** Whether a PostgreSQL is configured or running for this Hookflow. */
  configured(): boolean {
    if (this.store || this.deps.databaseUrl) return true;
    try {
      resolveDatabaseUrl(this.deps.config);
      return true;
    } catch {
      return false;
    }
  }

  get ledger(): LedgerStore {
    const { config, databaseUrl, encryptionKey } = this.deps;
    this.store ??= new LedgerStore(
      createPool(databaseUrl ?? resolveDatabaseUrl(config), config.databasePoolSize),
      parseEncryptionKey(encryptionKey ?? resolveEncryptionKey(config)),
    );
    return this.store;
  }

  get pool(): pg.Pool {
    return this.ledger.pool;
  }

  get templates(): TemplateService {
    this.templateService ??= new TemplateService(this.pool, this.deps.config);
    return this.templateService;
  }

  get journeys(): JourneyService {
    const { client, config, eagerStart } = this.deps;
    this.journeyService ??= new JourneyService(this.pool, client, config, this.templates, eagerStart);
    return this.journeyService;
  }

  get campaigns(): CampaignService {
    const { client, config, temporal } = this.deps;
    this.campaignService ??= new CampaignService({
      pool: this.pool,
      templates: this.templates.store,
      client,
      taskQueue: config.taskQueue,
      pageSize: config.campaignPageSize,
      temporal: (call) => temporal(call),
    });
    return this.campaignService;
  }

  async close(): Promise<void> {
    await this.store?.pool.end();
  }
}
