/** Every search attribute Hookflow sets, which a Temporal namespace must have registered (npm run setup-temporal). */
import { HOST_STATE_ATTRIBUTE } from '../breaker/definitions';
import { SEARCH_ATTRIBUTES } from '../delivery/definitions';
import { JOURNEY_SEARCH_ATTRIBUTES } from '../journey/definitions';

export const HOOKFLOW_SEARCH_ATTRIBUTES = [...Object.values(SEARCH_ATTRIBUTES), HOST_STATE_ATTRIBUTE, ...Object.values(JOURNEY_SEARCH_ATTRIBUTES)];
