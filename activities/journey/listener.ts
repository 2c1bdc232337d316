/**
 * The journeys' event listener on every worker (registered by create-worker): each new event
 * first reaches the recipient's running runs of the journeys that wait for it or exit on it (by
 * signal), then enters the recipient into each journey whose event entry it matches. In that
 * order, and in the order events were accepted: an event sent right after the entry event reaches
 * the run it entered, whose inbox keeps it for its wait step.
 *
 * Published journeys are read in the batch's transaction, so an event accepted after a publish
 * always sees it. Starting and signalling may happen again if the batch is handled again after a
 * crash: an event enters a recipient once (its id is the run's entry key), and a run takes an
 * event it already received once (its inbox remembers the ids).
 */
import type { EventListener, ListenedEvent } from '../../src/event/listener';
import type { JourneyEvent } from '../../src/journey/definitions';
import { listenedEvents } from '../../src/journey/schema';
import type { JourneyService } from '../../src/journey/service';
import { whereMatches } from '../../src/journey/steps';

export const JOURNEY_LISTENER = 'journeys';

export function journeyListener(journeys: JourneyService): EventListener {
  return {
    name: JOURNEY_LISTENER,
    events: 'all',
    async handle(events: ListenedEvent[], tx) {
      const latest = await journeys.store.published(tx);
      const listening = new Map<string, Set<string>>();
      for (const v of await journeys.store.allVersions(tx)) {
        const names = listening.get(v.id) ?? new Set<string>();
        for (const name of listenedEvents(v.definition)) names.add(name);
        listening.set(v.id, names);
      }
      for (const e of events) {
        const event: JourneyEvent = { id: e.id, name: e.name, properties: e.properties, receivedAt: e.receivedAt, attributes: e.recipient.attributes };
        for (const [journeyId, names] of listening) if (names.has(e.name)) await journeys.signalRuns(tx, journeyId, e.recipientId, event);
        for (const journey of latest) {
          const entry = journey.definition.entry;
          if (entry.type !== 'event' || entry.event !== e.name) continue;
          const context = { event: { name: e.name, properties: e.properties }, recipient: e.recipient };
          if (!whereMatches(entry.where, context)) continue;
          await journeys.enterOne(journey, { id: e.recipientId, properties: e.properties }, { enteredAt: new Date(e.receivedAt), event: { name: e.name, properties: e.properties }, entryKey: `event:${e.id}` });
        }
      }
    },
  };
}
