/** The retry backoff now lives with the uplink in protocol/edge/, shared with the relay. */
export { restartDelay } from '../../protocol/edge/backoff.js';
