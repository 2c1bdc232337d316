// The workflows this worker runs. Imported by the Temporal bundler, so only workflow code here.
export { deliverWebhook } from './deliver-webhook';
export { hostCircuit } from './breaker';
export { recoverWebhooks } from './recovery';
export { dispatchCampaign } from './campaign';
