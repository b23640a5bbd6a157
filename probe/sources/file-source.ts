import type { CaptureError, CaptureReader, OpenResult } from '../capture/reader.js';
import type { PacketPipeline } from '../pipeline.js';

/** How to read a capture file. */
export interface FileSourceOptions {
  /** Opens the file from its start for a round (a descriptor held since before privileges were dropped). */
  open: () => OpenResult<CaptureReader>;
  /** The first round's reader, already opened (and its header checked) before privileges were dropped. */
  firstReader?: CaptureReader;
  /** Replay speed: undefined = as fast as possible, 1 = capture speed, N = N times it. */
  realtime?: number;
  loop: boolean;
  /** Called between batches; resolves when the output has room again (backpressure). */
  drain: () => Promise<void> | null;
  /** Called before a paced replay waits for a record's time: what is buffered goes out now, as it would live. */
  flush?: () => void;
}

/** Records processed between two looks at the clock, output backpressure and signals. */
const BATCH = 4096;

/**
 * Feeds a capture file through the pipeline, as fast as possible or paced at
 * capture speed (timestamps then rebased to now, so a replay looks live), once
 * or in a loop (capture time kept increasing across rounds, each round's
 * connections ended at its end).
 */
export async function runFile(o: FileSourceOptions, pipeline: PacketPipeline, stopped: () => boolean): Promise<{ ok: true } | { ok: false; error: CaptureError }> {
  let shift = 0; // added to capture times: rebasing for realtime, and rounds of --loop
  let lastTs = 0;
  for (let round = 0; ; round++) {
    let reader: CaptureReader;
    if (round === 0 && o.firstReader) reader = o.firstReader;
    else {
      const opened = o.open();
      if (!opened.ok) return { ok: false, error: opened };
      reader = opened.reader;
    }
    let firstTs = -1;
    let wallStart = 0;
    try {
      for (;;) {
        let n = 0;
        let rec = reader.next();
        while (rec !== null) {
          if (firstTs < 0) {
            firstTs = rec.tsMicros;
            wallStart = Date.now() * 1000;
            if (o.realtime !== undefined) shift = wallStart - firstTs;
            else if (round > 0) shift = lastTs - firstTs + 1_000_000;
          }
          if (o.realtime !== undefined) {
            const due = wallStart + (rec.tsMicros - firstTs) / o.realtime;
            const ahead = due - Date.now() * 1000;
            if (ahead > 2000) {
              o.flush?.();
              await new Promise((r) => setTimeout(r, ahead / 1000));
              if (stopped()) return { ok: true };
            }
            rec.tsMicros = Math.round(due);
          } else {
            rec.tsMicros += shift;
          }
          lastTs = rec.tsMicros;
          pipeline.record(rec);
          if (++n === BATCH) break;
          rec = reader.next();
        }
        if (rec === null) break;
        const wait = o.drain();
        await (wait ?? new Promise((r) => setImmediate(r)));
        if (stopped()) return { ok: true };
      }
      if (reader.error) return { ok: false, error: reader.error };
    } finally {
      reader.close();
    }
    if (!o.loop || stopped()) return { ok: true };
    // Each round is a capture of its own: its connections end with it (reason end), so the next round's
    // come again with fresh ids instead of carrying on across the seam.
    pipeline.finish(lastTs);
    // A small file holds less than a batch: without this, a loop never lets signals or the output in.
    const wait = o.drain();
    await (wait ?? new Promise((r) => setImmediate(r)));
    if (stopped()) return { ok: true };
  }
}
