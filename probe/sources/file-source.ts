import { openCaptureFile } from '../capture/open.js';
import type { CaptureError, CaptureReader } from '../capture/reader.js';
import type { PacketPipeline } from '../pipeline.js';

/** How to read a capture file. */
export interface FileSourceOptions {
  path: string;
  /** The file already opened (before privileges were dropped) for the first round. */
  firstReader?: CaptureReader;
  /** Replay speed: undefined = as fast as possible, 1 = capture speed, N = N times it. */
  realtime?: number;
  loop: boolean;
  /** Called between batches; resolves when the output has room again (backpressure). */
  drain: () => Promise<void> | null;
}

/** Records processed between two looks at the clock, output backpressure and signals. */
const BATCH = 4096;

/**
 * Feeds a capture file through the pipeline, as fast as possible or paced at
 * capture speed (timestamps then rebased to now, so a replay looks live), once
 * or in a loop (capture time kept increasing across rounds).
 */
export async function runFile(o: FileSourceOptions, pipeline: PacketPipeline, stopped: () => boolean): Promise<{ ok: true } | { ok: false; error: CaptureError }> {
  let shift = 0; // added to capture times: rebasing for realtime, and rounds of --loop
  let lastTs = 0;
  for (let round = 0; ; round++) {
    let reader: CaptureReader;
    if (round === 0 && o.firstReader) reader = o.firstReader;
    else {
      const opened = openCaptureFile(o.path);
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
    if (o.realtime !== undefined) pipeline.advance(Date.now() * 1000);
  }
}
