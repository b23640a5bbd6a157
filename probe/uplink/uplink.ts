/** The link upstream is shared with the relay: it lives in protocol/edge/uplink.ts. */
export { DEFAULT_UPLINK, Uplink, type UplinkCounters, type UplinkOptions } from '../../protocol/edge/uplink.js';
