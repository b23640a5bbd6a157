import { pino, type Logger } from 'pino';

/**
 * Structured logs (JSON lines on stderr). -v raises the level; hostile input
 * is logged at debug only, so a flood of bad packets never floods the log.
 */
export function createLogger(name: string, verbose: number, extra: Record<string, unknown> = {}): Logger {
  const level = verbose >= 2 ? 'trace' : verbose === 1 ? 'debug' : (process.env.GG_LOG_LEVEL ?? 'info');
  return pino({ name, level, base: { pid: process.pid, ...extra } }, pino.destination({ fd: 2, sync: true }));
}

export type { Logger } from 'pino';
