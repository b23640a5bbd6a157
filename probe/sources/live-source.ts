import { createRequire } from 'node:module';
import { CaptureRecord } from '../capture/reader.js';
import type { PacketPipeline } from '../pipeline.js';
import { openCaptureStats, socketFds, type CaptureStatsResult } from './capture-stats.js';

/** cap's link type names, as LINKTYPE_* numbers the decoder knows. */
const LINK_TYPES: Record<string, number> = {
  NULL: 0, ETHERNET: 1, RAW: 101, LINUX_SLL: 113, LINUX_SLL2: 276, IPV4: 228, IPV6: 229, NFLOG: 239, LOOP: 108,
};

interface CapHandle {
  open(device: string, filter: string, bufSize: number, buffer: Buffer): string;
  close(): void;
  on(ev: 'packet', cb: (nbytes: number, truncated: boolean) => void): void;
  setMinBytes?: (n: number) => void;
}
interface CapModule {
  Cap: { new (): CapHandle; deviceList(): { name: string; description?: string; addresses: { addr: string }[]; flags?: string }[] };
}

function loadCap(): CapModule {
  return createRequire(import.meta.url)('cap') as CapModule;
}

/** The interfaces libpcap can capture on, like `tcpdump -D`. */
export function listInterfaces(): string[] {
  return loadCap().Cap.deviceList().map((d, i) => {
    const addrs = d.addresses.map((a) => a.addr).join(', ');
    return `${i + 1}.${d.name}${d.description ? ` (${d.description})` : ''}${addrs ? ` [${addrs}]` : ''}${d.flags ? ` {${d.flags}}` : ''}`;
  });
}

/** An open live capture; frames flow into the pipeline once started. */
export interface LiveCapture {
  linkType: number;
  start(pipeline: PacketPipeline): void;
  close(): void;
  /** Packets handed to the pipeline. */
  readonly packets: number;
  /** The kernel's received/dropped totals since opening (read before close()). */
  stats(): CaptureStatsResult;
}

/**
 * Opens a live capture with libpcap (cap). Done while still root; frames are
 * only read after privileges are dropped. cap reports neither timestamps nor
 * original lengths, so capture time is the arrival time here and the frame
 * length is the captured length (the snap length is 65535, larger than any
 * frame but GRO/TSO aggregates).
 */
export function openLive(device: string, filter: string, bufferBytes = 64 * 1024 * 1024): { ok: true; capture: LiveCapture } | { ok: false; error: string } {
  let cap: CapHandle;
  const buffer = Buffer.alloc(65535);
  let linkName: string;
  // The socket libpcap opens is the one that appears during open().
  const socketsBefore = socketFds();
  try {
    const { Cap } = loadCap();
    cap = new Cap();
    linkName = cap.open(device, filter, bufferBytes, buffer);
    cap.setMinBytes?.(0);
  } catch (e) {
    return { ok: false, error: `cannot capture on ${device}: ${(e as Error).message}` };
  }
  const linkType = LINK_TYPES[linkName];
  if (linkType === undefined) {
    cap.close();
    return { ok: false, error: `link type ${linkName} of ${device} is not supported` };
  }
  const kernel = openCaptureStats(socketsBefore);
  const rec = new CaptureRecord();
  rec.linkType = linkType;
  rec.buf = buffer;
  const capture = {
    linkType,
    packets: 0,
    start(pipeline: PacketPipeline): void {
      cap.on('packet', (nbytes) => {
        rec.tsMicros = Math.round((performance.timeOrigin + performance.now()) * 1000);
        rec.capLen = rec.origLen = nbytes;
        capture.packets++;
        pipeline.record(rec);
      });
    },
    close(): void { cap.close(); },
    stats: (): CaptureStatsResult => ('ok' in kernel ? kernel : kernel.read()),
  };
  return { ok: true, capture };
}
