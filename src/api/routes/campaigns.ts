/** /v1/campaigns: define, list, trigger, count, pause, resume and stop campaigns, each a call into the client SDK. */
import type { FastifyInstance } from 'fastify';
import type { Hookflow } from '../../client/hookflow';
import type { CampaignInput, TriggerCallInput } from '../../campaign/schema';
import type { PageOptions } from '../../client/options';

export function campaignRoutes(app: FastifyInstance, hookflow: Hookflow): void {
  app.put<{ Params: { id: string } }>('/v1/campaigns/:id', async (request, reply) => {
    const { campaign, created } = await hookflow.putCampaign(request.params.id, request.body as CampaignInput);
    return reply.code(created ? 201 : 200).send(campaign);
  });

  app.get('/v1/campaigns', async (request) => hookflow.campaigns(request.query as PageOptions));

  app.get<{ Params: { id: string } }>('/v1/campaigns/:id', async (request) => hookflow.campaign(request.params.id));

  app.get<{ Params: { id: string } }>('/v1/campaigns/:id/dispatches', async (request) => hookflow.campaignDispatches(request.params.id, request.query as PageOptions));

  app.post<{ Params: { id: string } }>('/v1/campaigns/:id/trigger', async (request, reply) => {
    const dispatch = await hookflow.triggerCampaign(request.params.id, request.body as TriggerCallInput, { hops: request.hops });
    return reply.code(202).send(dispatch);
  });

  app.get<{ Params: { id: string; dispatchId: string } }>('/v1/campaigns/:id/dispatches/:dispatchId', async (request) =>
    hookflow.campaignDispatch(request.params.id, request.params.dispatchId),
  );

  app.post<{ Params: { id: string } }>('/v1/campaigns/:id/pause', async (request) => hookflow.pauseCampaign(request.params.id));
  app.post<{ Params: { id: string } }>('/v1/campaigns/:id/resume', async (request) => hookflow.resumeCampaign(request.params.id));
  app.post<{ Params: { id: string } }>('/v1/campaigns/:id/stop', async (request) => hookflow.stopCampaign(request.params.id));
}
