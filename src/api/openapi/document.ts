/**
 * The OpenAPI 3.1 document of the HTTP API, generated from the routes' zod schemas (requests.ts,
 * answers.ts) by zod's own JSON Schema output, served at /openapi.json, with Swagger UI at /docs
 * (its files are served from the npm package, no CDN). Both are public, like /healthz: they
 * describe the API and hold nothing of a deployment.
 *
 * The schemas go onto each route when it is added (ROUTES below, by method and path), for the
 * document only: the SDK validates every input itself (one schema, field-named 400s), so Fastify
 * neither validates with them nor serialises answers through them.
 */
import type { FastifyInstance, FastifySchema, RouteOptions } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { z } from 'zod';
import { VERSION } from '../../version';
import * as answer from './answers';
import * as take from './requests';

export const DOCS_ROUTES = ['/openapi.json', '/docs'];

interface RouteDoc {
  operationId: string;
  summary: string;
  tags: string[];
  params?: z.ZodType;
  querystring?: z.ZodType;
  body?: z.ZodType;
  /** Answers by status code; every route may also answer 401, 500 and 503 (added below). */
  responses: Record<number, z.ZodType | null>;
  public?: boolean;
  /** The 200 answer may also be CSV (`Accept: text/csv` or `format=csv`). */
  csv?: boolean;
  /** OpenAPI links: where an answer's values lead (for readers, and for schemathesis's stateful phase). */
  links?: Record<number, Record<string, { operationId: string; parameters: Record<string, string> }>>;
}

const byWebhookId = (...operations: string[]) =>
  Object.fromEntries(operations.map((operationId) => [operationId, { operationId, parameters: { id: '$response.body#/id' } }]));
const webhookLinks = byWebhookId('getWebhook', 'getAttempts', 'cancelWebhook', 'retryWebhook');
const byCampaignId = (...operations: string[]) =>
  Object.fromEntries(operations.map((operationId) => [operationId, { operationId, parameters: { id: '$response.body#/id' } }]));
const campaignLinks = byCampaignId('getCampaign', 'pauseCampaign', 'resumeCampaign', 'stopCampaign');
const jobLinks = { getJob: { operationId: 'getJob', parameters: { id: '$response.body#/jobId' } } };

const err = answer.errorSchema;

function routes(maxBodyBytes: number): Record<string, RouteDoc> {
  return {
    'POST /v1/webhooks': {
      operationId: 'sendWebhook',
      links: { 200: webhookLinks, 202: webhookLinks },
      summary: 'Trigger a webhook (202), or find the one with the same idempotencyKey (200)',
      tags: ['webhooks'],
      body: take.webhookBody(maxBodyBytes),
      responses: { 200: answer.acceptedSchema, 202: answer.acceptedSchema, 400: err, 413: err, 415: err },
    },
    'GET /v1/webhooks': {
      operationId: 'listWebhooks',
      summary: 'List webhooks from the ledger, newest first (also `tag.<name>=<value>` filters)',
      tags: ['webhooks'],
      querystring: take.listQuery,
      responses: { 200: answer.listPageSchema, 400: err },
    },
    'POST /v1/webhooks/recover': {
      operationId: 'recoverWebhooks',
      links: { 200: jobLinks, 202: jobLinks },
      summary: 'Send every failed webhook that matches again, as a durable job',
      tags: ['webhooks'],
      body: take.recoverBody,
      responses: { 200: answer.recoverAnswerSchema, 202: answer.recoverAnswerSchema, 400: err, 415: err },
    },
    'GET /v1/webhooks/:id': { operationId: 'getWebhook', summary: "A webhook's status and attempts", tags: ['webhooks'], params: take.idParams, responses: { 200: answer.webhookStateSchema, 404: err } },
    'GET /v1/webhooks/:id/attempts': { operationId: 'getAttempts', summary: "A webhook's attempts", tags: ['webhooks'], params: take.idParams, responses: { 200: answer.attemptsSchema, 404: err } },
    'POST /v1/webhooks/:id/cancel': { operationId: 'cancelWebhook', summary: 'Stop a pending webhook', tags: ['webhooks'], params: take.idParams, responses: { 200: answer.webhookStateSchema, 404: err, 409: err } },
    'POST /v1/webhooks/:id/retry': {
      operationId: 'retryWebhook',
      links: { 202: webhookLinks },
      summary: 'Send a finished webhook again (same webhook-id)',
      tags: ['webhooks'],
      params: take.idParams,
      responses: { 202: answer.acceptedSchema, 404: err, 409: err },
    },
    'GET /v1/jobs/:id': { operationId: 'getJob', summary: 'A recovery job', tags: ['webhooks'], params: take.jobParams, responses: { 200: answer.jobSchema, 404: err } },
    'GET /v1/hosts/:authority': { operationId: 'getHost', summary: "A host's circuit breaker", tags: ['hosts'], params: take.authorityParams, responses: { 200: answer.hostSchema, 400: err } },
    'POST /v1/hosts/:authority/pause': {
      operationId: 'pauseHost',
      summary: 'Hold every send to a host (answers once it holds on every worker)',
      tags: ['hosts'],
      params: take.authorityParams,
      body: take.pauseBody,
      responses: { 200: answer.hostSchema, 400: err, 415: err },
    },
    'POST /v1/hosts/:authority/resume': { operationId: 'resumeHost', summary: 'Resume a paused host', tags: ['hosts'], params: take.authorityParams, responses: { 200: answer.hostSchema, 400: err } },
    'GET /v1/endpoints/gone': { operationId: 'listGoneEndpoints', summary: 'URLs that answered 410 Gone', tags: ['endpoints'], responses: { 200: answer.goneEndpointsSchema } },
    'DELETE /v1/endpoints/gone/:hash': { operationId: 'reenableEndpoint', summary: 'Re-enable a gone URL', tags: ['endpoints'], params: take.hashParams, responses: { 204: null, 400: err, 404: err } },
    'PUT /v1/campaigns/:id': {
      operationId: 'putCampaign',
      links: { 200: campaignLinks, 201: campaignLinks },
      summary: 'Create (201) or replace (200) a campaign: a template, a trigger (api, event or schedule), limits',
      tags: ['campaigns'],
      params: take.campaignParams,
      body: take.campaignBody,
      responses: { 200: answer.campaignViewSchema, 201: answer.campaignViewSchema, 400: err, 415: err },
    },
    'GET /v1/campaigns': { operationId: 'listCampaigns', summary: 'Campaigns, newest first', tags: ['campaigns'], querystring: take.pageQuery, responses: { 200: answer.campaignPageSchema, 400: err } },
    'GET /v1/campaigns/:id/dispatches': {
      operationId: 'listDispatches',
      summary: "A campaign's dispatches, newest first (each one's counts: getDispatch)",
      tags: ['campaigns'],
      params: take.campaignParams,
      querystring: take.pageQuery,
      responses: { 200: answer.dispatchPageSchema, 400: err, 404: err },
    },
    'GET /v1/campaigns/:id': { operationId: 'getCampaign', summary: 'A campaign', tags: ['campaigns'], params: take.campaignParams, responses: { 200: answer.campaignViewSchema, 400: err, 404: err } },
    'POST /v1/campaigns/:id/trigger': {
      operationId: 'triggerCampaign',
      links: { 202: { getDispatch: { operationId: 'getDispatch', parameters: { id: '$request.path.id', dispatchId: '$response.body#/dispatchId' } } } },
      summary: 'Send an API-triggered campaign to up to 10,000 recipients (one dispatch)',
      tags: ['campaigns'],
      params: take.campaignParams,
      body: take.triggerBody,
      responses: { 202: answer.dispatchAnswerSchema, 400: err, 404: err, 415: err },
    },
    'GET /v1/campaigns/:id/dispatches/:dispatchId': {
      operationId: 'getDispatch',
      summary: "A dispatch's counts",
      tags: ['campaigns'],
      params: take.dispatchParams,
      responses: { 200: answer.dispatchCountsSchema, 400: err, 404: err },
    },
    'POST /v1/campaigns/:id/pause': { operationId: 'pauseCampaign', summary: 'Hold a campaign: nothing new starts', tags: ['campaigns'], params: take.campaignParams, responses: { 200: answer.campaignViewSchema, 400: err, 404: err } },
    'POST /v1/campaigns/:id/resume': { operationId: 'resumeCampaign', summary: 'Resume a paused or stopped campaign', tags: ['campaigns'], params: take.campaignParams, responses: { 200: answer.campaignViewSchema, 400: err, 404: err } },
    'POST /v1/campaigns/:id/stop': { operationId: 'stopCampaign', summary: 'Stop a campaign: what it has not sent is cancelled', tags: ['campaigns'], params: take.campaignParams, responses: { 200: answer.campaignViewSchema, 400: err, 404: err } },
    'PUT /v1/templates/:id': { operationId: 'saveTemplate', summary: 'Save a new template version when the content changed', tags: ['templates'], params: take.templateParams, body: take.templateBody, responses: { 200: answer.templateSavedSchema, 201: answer.templateSavedSchema, 400: err, 413: err, 415: err } },
    'GET /v1/templates/:id': { operationId: 'getTemplate', summary: "A template's latest version", tags: ['templates'], params: take.templateParams, responses: { 200: answer.templateViewSchema, 400: err, 404: err } },
    'GET /v1/templates/:id/versions/:n': { operationId: 'getTemplateVersion', summary: 'One version of a template', tags: ['templates'], params: take.templateVersionParams, responses: { 200: answer.templateViewSchema, 400: err, 404: err } },
    'POST /v1/templates/:id/preview': { operationId: 'previewTemplate', summary: 'Render a template, sending nothing', tags: ['templates'], params: take.templateParams, querystring: take.previewQuery, body: take.previewBody, responses: { 200: answer.previewAnswerSchema, 400: err, 404: err, 413: err, 415: err } },
    'PUT /v1/recipients/:id': { operationId: 'putRecipient', summary: "Merge attributes into a recipient (null removes one)", tags: ['recipients'], params: take.recipientParams, body: take.recipientBody, responses: { 200: answer.recipientAnswerSchema, 400: err, 413: err, 415: err } },
    'GET /v1/recipients/:id': { operationId: 'getRecipient', summary: 'A recipient and its attributes', tags: ['recipients'], params: take.recipientParams, responses: { 200: answer.recipientAnswerSchema, 400: err, 404: err } },
    'DELETE /v1/recipients/:id': { operationId: 'eraseRecipient', summary: "Erase a recipient's attributes and events", tags: ['recipients'], params: take.recipientParams, responses: { 200: answer.erasureSchema, 400: err, 404: err } },
    'POST /v1/events': { operationId: 'trackEvents', summary: 'Record custom events (202 once durable)', tags: ['events'], body: take.eventsBody, responses: { 202: answer.eventsAcceptedSchema, 400: err, 413: err, 415: err } },
    'PUT /v1/journeys/:id': { operationId: 'saveJourney', summary: "Save a journey's draft", tags: ['journeys'], params: take.journeyParams, body: take.journeyBody, responses: { 200: answer.journeySavedSchema, 201: answer.journeySavedSchema, 400: err, 413: err, 415: err } },
    'GET /v1/journeys/:id': { operationId: 'getJourney', summary: "A journey's draft, versions and counts", tags: ['journeys'], params: take.journeyParams, responses: { 200: answer.journeyViewSchema, 400: err, 404: err } },
    'POST /v1/journeys/:id/publish': { operationId: 'publishJourney', summary: 'Check the draft and publish it as the next version', tags: ['journeys'], params: take.journeyParams, responses: { 201: answer.publishedSchema, 400: err, 404: err } },
    'POST /v1/journeys/:id/entries': { operationId: 'enterJourney', summary: 'Enter recipients into the latest version (API entry)', tags: ['journeys'], params: take.journeyParams, body: take.entriesBody, responses: { 202: answer.entriesAnswerSchema, 400: err, 404: err, 413: err, 415: err } },
    'POST /v1/journeys/:id/migrate': { operationId: 'migrateJourney', summary: 'Move waiting runs of one version onto another', tags: ['journeys'], params: take.journeyParams, body: take.migrateBody, responses: { 200: answer.migrateAnswerSchema, 400: err, 404: err, 413: err, 415: err } },
    'GET /v1/journeys/:id/runs/:recipientId': { operationId: 'getJourneyRun', summary: "A recipient's run", tags: ['journeys'], params: take.journeyRunParams, responses: { 200: answer.runViewSchema, 400: err, 404: err } },
    'POST /v1/journeys/:id/runs/:recipientId/exit': { operationId: 'exitJourneyRun', summary: "End a recipient's run where it is", tags: ['journeys'], params: take.journeyRunParams, responses: { 202: answer.runExitSchema, 400: err, 404: err } },
    'GET /v1/reports': { operationId: 'getReport', summary: "The ledger's numbers, bucketed and grouped (JSON or CSV)", tags: ['reports'], querystring: take.reportQuery, csv: true, responses: { 200: answer.reportSchema, 400: err } },
    'GET /v1/reports/failures': { operationId: 'getRecentFailures', summary: 'The latest failed webhooks', tags: ['reports'], querystring: take.failuresQuery, responses: { 200: answer.failuresSchema, 400: err } },
    'GET /healthz': { operationId: 'health', summary: 'Each dependency reachable or not', tags: ['health'], public: true, responses: { 200: answer.healthSchema, 503: answer.healthSchema } },
  };
}

/** JSON Schema of a zod schema: the input it accepts (requests) or the output it gives (answers). */
function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): Record<string, unknown> {
  // Each route's schema stands alone (no shared $defs), as @fastify/swagger reads them.
  const { $schema: _, ...rest } = z.toJSONSchema(schema, { io, target: 'draft-2020-12', unrepresentable: 'any', reused: 'inline', cycles: 'ref' }) as Record<string, unknown>;
  delete rest.id;
  return rest;
}

function routeSchema(doc: RouteDoc): FastifySchema {
  const response: Record<string, unknown> = {};
  const all: Record<number, z.ZodType | null> = { ...doc.responses, 500: err, 503: doc.responses[503] ?? err };
  if (!doc.public) all[401] = err;
  for (const [code, schema] of Object.entries(all)) {
    const csv = doc.csv && code === '200' ? { 'text/csv': { schema: { type: 'string' } } } : {};
    response[code] = schema === null ? { type: 'null', description: 'No content' } : { description: schema.description ?? `HTTP ${code}`, content: { 'application/json': { schema: jsonSchema(schema, 'output') }, ...csv } };
  }
  return {
    operationId: doc.operationId,
    summary: doc.summary,
    tags: doc.tags,
    ...(doc.public ? { security: [] } : {}),
    ...(doc.params ? { params: jsonSchema(doc.params, 'input') } : {}),
    ...(doc.querystring ? { querystring: jsonSchema(doc.querystring, 'input') } : {}),
    ...(doc.body ? { body: { content: { 'application/json': { schema: jsonSchema(doc.body, 'input') } } } } : {}),
    response,
  } as FastifySchema;
}

/**
 * Registers the document and its UI. Call it before registering the routes, and add them in a
 * plugin registered after it, so that each route gets its schema and the document lists it.
 */
export function registerOpenApi(app: FastifyInstance, options: { maxBodyBytes: number }): void {
  const docs = routes(options.maxBodyBytes);
  app.addHook('onRoute', (route: RouteOptions) => {
    const method = Array.isArray(route.method) ? route.method[0] : route.method;
    const doc = docs[`${method} ${route.url}`];
    // Routes left out of the document: the Web UI's codec, /metrics, the docs themselves, HEAD twins.
    route.schema = doc ? routeSchema(doc) : { ...route.schema, hide: true };
    if (doc?.links) (route as RouteOptions & { links?: unknown }).links = doc.links;
  });
  // The schemas describe; the SDK validates and the handlers answer as they always did.
  app.setValidatorCompiler(() => () => true);
  app.setSerializerCompiler(() => (data) => JSON.stringify(data));
  void app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: 'Hookflow API', version: VERSION, description: 'Durable outbound webhooks on Temporal. Every route but /healthz needs `Authorization: Bearer <API key>`.' },
      components: { securitySchemes: { apiKey: { type: 'http', scheme: 'bearer', description: 'An API key from HOOKFLOW_API_KEYS' } } },
      security: [{ apiKey: [] }],
    },
  });
  void app.register(swaggerUi, { routePrefix: '/docs', staticCSP: true });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
}
