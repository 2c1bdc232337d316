// The workflows this worker runs. Imported by the Temporal bundler, so only workflow code here.
export { deliverWebhook } from './deliver-webhook';
export { hostCircuit } from './breaker';
export { recoverWebhooks } from './recovery';
export { runJourney } from './journey';
export { enterJourneyAudience } from './journey-audience';
export { dispatchCampaign } from './campaign';
