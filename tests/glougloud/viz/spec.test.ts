/**
 * spec/viz-protocol.md against the code: every code the viz server or the
 * reference client can produce, and every close code, is documented; every
 * JSON example without elisions parses, and the snapshot and diff examples
 * obey the graph rules.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { Replica } from '../../../glougloud/views/replica.js';
import { CLOSE } from '../../../glougloud/viz-server/client.js';
import { ROOT } from '../../helpers/glougloud.js';

const spec = readFileSync(join(ROOT, 'spec/viz-protocol.md'), 'utf8');

function sources(dir: string): string {
  return readdirSync(join(ROOT, dir)).filter((f) => f.endsWith('.ts')).map((f) => readFileSync(join(ROOT, dir, f), 'utf8')).join('\n');
}

describe('viz protocol spec', () => {
  test('documents every error, notice and close reason code, and every close code', () => {
    const code = sources('glougloud/viz-server') + sources('glougloud/views');
    const codes = [...new Set(code.match(/GG_VIZ_[A-Z_]+/g))];
    expect(codes.length).toBeGreaterThan(20);
    for (const c of codes) expect(spec, c).toMatch(new RegExp(`${c}(?![A-Z_])`));
    for (const [name, n] of Object.entries(CLOSE)) expect(spec, name).toMatch(new RegExp(`^\\| ${n} \\|`, 'm'));
  });

  test('examples parse; the snapshot example is a valid graph', () => {
    const blocks = [...spec.matchAll(/```json\n([\s\S]*?)```/g)].map((m) => m[1]);
    expect(blocks.length).toBeGreaterThanOrEqual(6);
    // One message per line, or one message over several lines.
    const messages: { type: string; [k: string]: unknown }[] = [];
    for (const b of blocks) {
      if (b.includes('…')) continue;
      const lines = b.trim().split('\n');
      const whole = lines.every((l) => { try { JSON.parse(l); return true; } catch { return false; } }) ? lines : [b];
      for (const l of whole) messages.push(JSON.parse(l));
    }
    expect(messages.map((m) => m.type)).toEqual(expect.arrayContaining(['config', 'error', 'ping', 'pong']));
    const snapshot = blocks.find((b) => b.startsWith('{"type":"snapshot"'))!.replace('"config":{…},', '');
    const m = JSON.parse(snapshot) as { seq: number; graph: Parameters<Replica['snapshot']>[1] };
    expect(new Replica().snapshot(m.seq, m.graph)).toEqual({ ok: true });
    expect(m.graph.nodes.map((n) => n.key)).toEqual(m.graph.nodes.map((n) => n.key).sort());
    expect(m.graph.edges.map((e) => e.key)).toEqual(m.graph.edges.map((e) => e.key).sort());
  });
});
