/**
 * Every shared capture read through our readers and compared record by record
 * with tshark run here: record count, frame and captured lengths, timestamps
 * to the microsecond. The truncated capture must end in a truncation error.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { openCaptureBuffer, openCaptureFile } from '../../../probe/capture/open.js';
import { CaptureErrorCode, type CaptureReader } from '../../../probe/capture/reader.js';

const DIR = '../shared/pcaps/';
const FILES = readdirSync(DIR).filter((f) => /\.pcap(ng)?$/.test(f)).sort();
const TRUNCATED = 'http_mime_truncated.pcap';

interface TsharkFrame { len: number; capLen: number; micros: number }

/** tshark's view of every frame; it exits non-zero on the truncated file, after printing the good frames. */
function tsharkFrames(file: string): TsharkFrame[] {
  let out: string;
  try {
    out = execFileSync('tshark', ['-n', '-r', DIR + file, '-T', 'fields', '-e', 'frame.len', '-e', 'frame.cap_len', '-e', 'frame.time_epoch'], {
      encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], maxBuffer: 64 << 20,
    });
  } catch (e) {
    out = (e as { stdout: string }).stdout;
  }
  return out.split('\n').filter((l) => l.length > 0).map((l) => {
    const [len, capLen, epoch] = l.split('\t');
    const [sec, frac = ''] = epoch.split('.');
    return { len: Number(len), capLen: Number(capLen), micros: Number(sec) * 1e6 + Number((frac + '000000').slice(0, 6)) };
  });
}

function readAll(reader: CaptureReader): { frames: TsharkFrame[]; linkTypes: Set<number> } {
  const frames: TsharkFrame[] = [];
  const linkTypes = new Set<number>();
  reader.forEach((r) => {
    frames.push({ len: r.origLen, capLen: r.capLen, micros: r.tsMicros });
    linkTypes.add(r.linkType);
  });
  return { frames, linkTypes };
}

describe('shared captures read like tshark reads them', () => {
  it('has the 21 captures the index lists', () => {
    expect(FILES.length).toBe(21);
  });

  it.each(FILES)('%s', (file) => {
    const expected = tsharkFrames(file);
    expect(expected.length).toBeGreaterThan(0);
    const opened = openCaptureFile(DIR + file, { chunkSize: 64 * 1024 });
    if (!opened.ok) throw new Error(`${opened.code}: ${opened.detail}`);
    const { frames, linkTypes } = readAll(opened.reader);
    expect(frames.length).toBe(expected.length);
    expect(frames).toEqual(expected);
    expect(linkTypes.size).toBe(1);
    if (file === TRUNCATED) {
      expect(opened.reader.error?.code).toBe(CaptureErrorCode.TRUNCATED_RECORD);
      // The last good record ends where the cut-off one starts.
      expect(opened.reader.error?.offset).toBeGreaterThan(0);
      expect(opened.reader.error?.offset).toBeLessThan(statSync(DIR + file).size);
      expect(opened.reader.error?.detail).toContain(String(opened.reader.error?.offset));
    } else {
      expect(opened.reader.error).toBeNull();
    }
    // The in-memory entry point sees exactly the same records.
    const inMemory = openCaptureBuffer(readFileSync(DIR + file));
    if (!inMemory.ok) throw new Error(inMemory.code);
    expect(readAll(inMemory.reader).frames).toEqual(expected);
    expect(inMemory.reader.error?.code ?? null).toBe(opened.reader.error?.code ?? null);
  }, 30_000);

  it('gives the 2696 good records of the truncated capture, then the truncation error at the cut-off record', () => {
    const opened = openCaptureFile(DIR + TRUNCATED);
    if (!opened.ok) throw new Error(opened.code);
    let n = 0;
    let lastEnd = 0;
    const err = opened.reader.forEach((r) => {
      n++;
      lastEnd = r.offset + 16 + r.capLen;
    });
    expect(n).toBe(2696);
    expect(err?.code).toBe(CaptureErrorCode.TRUNCATED_RECORD);
    expect(err?.offset).toBe(lastEnd);
    expect(opened.reader.next()).toBeNull();
  });

  it('reads records straddling every chunk boundary with a tiny chunk size', () => {
    for (const file of ['http_sll2.pcap', 'http_espn.pcapng', 'pcapng_multi_interface.pcapng']) {
      const small = openCaptureFile(DIR + file, { chunkSize: 1 });
      const whole = openCaptureBuffer(readFileSync(DIR + file));
      if (!small.ok || !whole.ok) throw new Error('open failed');
      const a: string[] = [];
      const b: string[] = [];
      small.reader.forEach((r) => a.push(`${r.offset}:${r.tsMicros}:${Buffer.from(r.data).toString('hex')}`));
      whole.reader.forEach((r) => b.push(`${r.offset}:${r.tsMicros}:${Buffer.from(r.data).toString('hex')}`));
      expect(a.length).toBeGreaterThan(0);
      expect(a).toEqual(b);
    }
  });

  it('reports a missing file as PCAP_ERR_OPEN', () => {
    const r = openCaptureFile(DIR + 'no-such-file.pcap');
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.code).toBe(CaptureErrorCode.OPEN);
  });
});
