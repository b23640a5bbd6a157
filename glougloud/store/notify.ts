/**
 * The keyspace notification classes the viz server needs, and how to tell
 * whether a server's `notify-keyspace-events` provides them.
 *
 *   K  keyspace channel `__keyspace@<db>__:<key>`, message = event: one
 *      PSUBSCRIBE per module prefix (`__keyspace@*__:gg:1:*`) gives the key and
 *      the event together (E would need one subscription per event name).
 *   h  hash commands: `hset` (every write group of a key ends with one),
 *      `hincrby` (counters; the viz may ignore it and act on the hset after it).
 *   g  generic commands: `del` (DELCONN, evictions); also `expire`, ignored.
 *   x  `expired`: an idle element is gone.
 *   e  `evicted`: gone under maxmemory (costs nothing while nothing is evicted).
 * Nothing else: every enabled class costs throughput (reference: KEA halves it).
 */

/** The value glougloud sets on the Redis it embeds. */
export const NOTIFY_KEYSPACE_EVENTS = 'Kghxe';

// Redis expands A to these classes (7.0: g$lshzxetd; m and n are never in A).
const A_EXPANSION = 'g$lshzxetd';

/** The set of class letters a `notify-keyspace-events` value enables (A expanded). */
export function notifyClasses(value: string): Set<string> {
  const out = new Set<string>();
  for (const c of value) {
    if (c === 'A') for (const x of A_EXPANSION) out.add(x);
    else out.add(c);
  }
  return out;
}

/** The classes of `needed` that `current` lacks (empty: nothing to do). */
export function missingNotifyClasses(current: string, needed: string = NOTIFY_KEYSPACE_EVENTS): string {
  const have = notifyClasses(current);
  let missing = '';
  for (const c of needed) if (!have.has(c) && !missing.includes(c)) missing += c;
  return missing;
}

/** `current` with the missing classes added (nothing removed: others may rely on them). */
export function withNotifyClasses(current: string, needed: string = NOTIFY_KEYSPACE_EVENTS): string {
  return current + missingNotifyClasses(current, needed);
}
