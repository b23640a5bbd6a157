/**
 * Entry point of frame decoding: one frame of a given link type into a
 * reusable PacketInfo, without allocating. Never throws on any input; every
 * header length is checked against the captured bytes.
 */
import type { CaptureRecord } from '../capture/reader.js';
import { LINK_DECODERS } from './link.js';
import { DecodeStatus, type DecodeStatusValue, type PacketInfo } from './packet-info.js';

/**
 * Decodes the frame b[start, start + capLen) captured on `linkType`, whose
 * length on the wire was frameLen, into `out`; returns (and sets) out.status.
 */
export function decodePacket(
  out: PacketInfo,
  linkType: number,
  b: Uint8Array,
  start: number,
  capLen: number,
  frameLen: number,
): DecodeStatusValue {
  // Trust neither the caller's offsets nor the record: stay inside the buffer.
  let end = start + capLen;
  if (!(end <= b.length)) end = b.length;
  if (!(start >= 0 && start <= end)) start = end = 0;
  out.reset(linkType, end - start, frameLen);
  out.ipOffset = out.ipEnd = out.l4Offset = out.payloadOffset = out.srcOffset = out.dstOffset = start;
  const decode = linkType >= 0 && linkType < LINK_DECODERS.length ? LINK_DECODERS[linkType] : undefined;
  const status = (decode === undefined ? DecodeStatus.UNSUPPORTED_LINK : decode(out, b, start, end)) as DecodeStatusValue;
  out.status = status;
  return status;
}

/** Decodes the packet of a capture record into `out`. */
export function decodeRecord(out: PacketInfo, rec: CaptureRecord): DecodeStatusValue {
  return decodePacket(out, rec.linkType, rec.buf, rec.dataStart, rec.capLen, rec.origLen);
}
