import { fork, type ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { numberOption } from '../protocol/edge/cli.js';
import type { Logger } from '../protocol/edge/log.js';
import { parseHostPort } from './probe-config.js';

/**
 * `ggprobe --relay-listen ADDR:PORT`: one root process runs the capture probe
 * and a relay beside it, as the original glouglou did. The relay is ggrelay
 * itself, forked before the probe drops privileges so that it can bind its
 * port and read its secret as root; it then drops privileges on its own.
 * Upstream it goes where the probe goes (-s), under its own id and secret.
 */

/** What the relay beside the probe is started with. */
export interface RelayChild {
  listen: string;
  port: number;
  upstream: { host: string; port: number };
  id: number;
  secretFile: string;
  probesDir?: string;
  user?: string;
  verbose: number;
}

type Values = Record<string, string | number | boolean | undefined>;

/** Reads the --relay-* options; null when --relay-listen is not given. */
export function resolveRelayChild(v: Values, server: { host: string; port: number } | null): { ok: true; child: RelayChild | null } | { ok: false; error: string } {
  const given = ['relayId', 'relaySecretFile', 'relayProbesDir', 'relayUser'].filter((k) => v[k] !== undefined);
  if (v.relayListen === undefined) {
    return given.length ? { ok: false, error: '--relay-id, --relay-secret-file, --relay-probes-dir and --relay-user go with --relay-listen' } : { ok: true, child: null };
  }
  if (server === null) return { ok: false, error: '--relay-listen needs -s HOST[:PORT]: the relay forwards where the probe sends' };
  const hp = parseHostPort(String(v.relayListen), 0);
  if (!hp.ok || hp.port === 0) return { ok: false, error: `--relay-listen: not ADDR:PORT: ${String(v.relayListen)}` };
  const id = numberOption(v.relayId, '--relay-id', 1, 0xffffffff);
  if (!id.ok || !Number.isInteger(id.value)) return { ok: false, error: '--relay-listen needs --relay-id N (1 to 4294967295), the relay\'s own id upstream' };
  if (typeof v.relaySecretFile !== 'string') return { ok: false, error: '--relay-listen needs --relay-secret-file FILE, the relay\'s own secret' };
  const child: RelayChild = {
    listen: hp.host, port: hp.port, upstream: server, id: id.value, secretFile: v.relaySecretFile, verbose: (v.verbose as number) ?? 0,
  };
  if (typeof v.relayProbesDir === 'string') child.probesDir = v.relayProbesDir;
  if (typeof v.relayUser === 'string') child.user = v.relayUser;
  return { ok: true, child };
}

/** ggrelay's command line for that relay. */
export function relayArgs(c: RelayChild): string[] {
  const upstream = c.upstream.host.includes(':') ? `[${c.upstream.host}]:${c.upstream.port}` : `${c.upstream.host}:${c.upstream.port}`;
  const args = ['-d', '-l', c.listen, '-p', String(c.port), '-s', upstream, '--id', String(c.id), '--secret-file', c.secretFile];
  if (c.probesDir !== undefined) args.push('--probes-dir', c.probesDir);
  if (c.user !== undefined) args.push('-u', c.user);
  if (c.verbose > 0) args.push(`-${'v'.repeat(c.verbose)}`);
  return args;
}

/** Forks the relay; its logs go to the probe's stderr. */
export function forkRelay(c: RelayChild, log: Logger): ChildProcess {
  const main = join(dirname(fileURLToPath(import.meta.url)), '..', 'relay', 'main.js');
  const child = fork(main, relayArgs(c), { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  child.on('exit', (code, signal) => {
    if (code !== 0) log.error({ code, signal }, 'the relay beside the probe exited');
  });
  log.info({ relayPid: child.pid, listen: `${c.listen}:${c.port}`, id: c.id }, 'relay started');
  return child;
}

/** Stops the relay (SIGTERM, then SIGKILL after `graceMs`) and waits for it. */
export async function stopRelay(child: ChildProcess, graceMs = 5000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  await new Promise<void>((resolve) => {
    const kill = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => { clearTimeout(kill); resolve(); });
    child.kill('SIGTERM');
  });
}
