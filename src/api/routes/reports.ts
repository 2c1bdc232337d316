/**
 * GET /v1/reports: the ledger's numbers, as JSON `{ data }` or, with `Accept: text/csv` or
 * `format=csv`, as CSV with the same columns. GET /v1/reports/failures: the latest failed webhooks
 * with a link to each one's workflow in the Temporal Web UI.
 */
import type { FastifyInstance } from 'fastify';
import type { Hookflow } from '../../client/hookflow';
import { webhookWorkflowId } from '../../delivery/definitions';
import { InvalidRequestError } from '../../errors';
import { reportCsv } from '../../report/csv';
import { parseReportQuery } from '../../report/params';

export interface ReportRouteOptions {
  /** Temporal Web UI base URL, for links to a webhook's workflow; none when unset. */
  temporalUiUrl?: string;
  namespace: string;
}

export function reportRoutes(app: FastifyInstance, hookflow: Hookflow, options: ReportRouteOptions): void {
  app.get<{ Querystring: Record<string, unknown> }>('/v1/reports', async (request, reply) => {
    const query = parseReportQuery(request.query);
    const report = await hookflow.report(query);
    const wantsCsv = query.format === 'csv' || (request.query.format === undefined && /\btext\/csv\b/i.test(request.headers.accept ?? ''));
    if (!wantsCsv) return { data: report.data };
    return reply.type('text/csv; charset=utf-8').header('content-disposition', 'attachment; filename="hookflow-report.csv"').send(reportCsv(report));
  });

  app.get<{ Querystring: Record<string, unknown> }>('/v1/reports/failures', async (request) => {
    const unknown = Object.keys(request.query).filter((k) => k !== 'limit');
    const issues = unknown.map((field) => ({ field, message: 'is not a known parameter (limit)' }));
    const raw = request.query.limit;
    if (raw !== undefined && (typeof raw !== 'string' || !/^\d+$/.test(raw) || Number(raw) < 1 || Number(raw) > 100)) issues.push({ field: 'limit', message: 'must be an integer from 1 to 100' });
    if (issues.length > 0) throw new InvalidRequestError(issues);
    const failures = await hookflow.recentFailures(raw === undefined ? 20 : Number(raw));
    const base = options.temporalUiUrl?.replace(/\/+$/, '');
    return {
      data: failures.map((f) => ({
        ...f,
        workflowUrl: base ? `${base}/namespaces/${encodeURIComponent(options.namespace)}/workflows/${encodeURIComponent(webhookWorkflowId(f.id))}` : null,
      })),
    };
  });
}
