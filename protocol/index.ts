/** The glouglou wire protocol: pure codec, no sockets, no timers. */
export * from './errors.js';
export * from './address.js';
export * from './fields.js';
export * from './datagram.js';
export * from './messages.js';
export { MODULES } from './registry.js';
export { SessionMode } from './modules/0-internal.js';
export { DelconnReason } from './modules/1-net.js';
