import type { Message } from '../../protocol/datagram.js';
import type { Site } from '../../protocol/session/session-messages.js';

/** The probe a message came from, as its module store sees it. */
export interface ProbeRef { id: number; site: Site }

/**
 * What a glougloud module provides on the ingest side: it aggregates its
 * messages in memory and, once per tick, turns what changed into Redis
 * commands (written as one pipeline). Pure: no I/O, no timers.
 */
export interface IngestModule {
  id: number;
  apply(probe: ProbeRef, msg: Message, now: number): void;
  flush(now: number): string[][];
}

/** The modules glougloud runs, by id and as a list. */
export interface IngestModules {
  byId: (IngestModule | undefined)[];
  list: IngestModule[];
}

/** Indexes a set of modules by id. */
export function indexModules(list: IngestModule[]): IngestModules {
  const byId: (IngestModule | undefined)[] = [];
  for (const m of list) byId[m.id] = m;
  return { byId, list };
}
