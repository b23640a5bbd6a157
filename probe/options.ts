import { COMMON_OPTIONS, type OptionSpec } from '../protocol/edge/cli.js';

/**
 * ggprobe's command line. Like tcpdump, -f is the capture filter here and
 * -r the file to read; the configuration file is --config.
 */
export const PROBE_OPTIONS: OptionSpec[] = [
  ...COMMON_OPTIONS.filter((o) => o.key !== 'config'),
  { key: 'config', long: '--config', value: 'FILE', doc: 'Configuration file (JSON: the long option names as keys).' },
  { key: 'interface', short: '-i', value: 'IFACE', doc: 'Capture live on this interface (needs root; privileges are dropped once it is open).' },
  { key: 'filter', short: '-f', value: 'BPF', doc: 'Capture filter, in tcpdump syntax.' },
  { key: 'bufferKiB', short: '-B', value: 'KIB', doc: 'With -i: kernel capture buffer in KiB, like tcpdump -B (default 65536).' },
  { key: 'listInterfaces', short: '-D', doc: 'List the interfaces a live capture can use, and exit.' },
  { key: 'read', short: '-r', value: 'FILE', doc: 'Read a pcap or pcapng capture file.' },
  { key: 'realtime', long: '--realtime', value: 'FACTOR', optionalNumber: true, doc: 'With -r: replay at capture speed, or FACTOR times it.' },
  { key: 'loop', long: '--loop', doc: 'With -r: start again at the end of the file, forever.' },
  { key: 'simulate', long: '--simulate', doc: 'Generate plausible traffic among hosts around the world.' },
  { key: 'rate', long: '--rate', value: 'EVENTS_PER_S', doc: 'With --simulate: events per second to generate (default 2000).' },
  { key: 'seed', long: '--seed', value: 'N', doc: 'With --simulate: random seed (default 1).' },
  { key: 'server', short: '-s', value: 'HOST[:PORT]', doc: 'Send events to glougloud or a relay (port 4430 by default).' },
  { key: 'id', long: '--id', value: 'N', doc: 'This probe\'s id, as configured on the server.' },
  { key: 'secretFile', long: '--secret-file', value: 'FILE', doc: 'File holding this probe\'s secret (mode 600; never on the command line).' },
  { key: 'siteLat', long: '--site-lat', value: 'DEG', doc: 'Latitude of the probe\'s site (private addresses are shown there).' },
  { key: 'siteLng', long: '--site-lng', value: 'DEG', doc: 'Longitude of the probe\'s site.' },
  { key: 'siteName', long: '--site-name', value: 'NAME', doc: 'Name of the probe\'s site.' },
  { key: 'integrity', long: '--integrity-only', doc: 'Authenticate but do not encrypt (debugging with tshark only).' },
  { key: 'print', long: '--print', doc: 'Write events as NDJSON on stdout (alone or with -s).' },
  { key: 'maxConns', long: '--max-conns', value: 'N', doc: 'Connections tracked at once (default 1000000); the longest idle is evicted beyond.' },
  { key: 'dataInterval', long: '--data-interval', value: 'MS', doc: 'DATA aggregation interval in milliseconds (default 100).' },
  { key: 'resolve', long: '--resolve', doc: 'With -i or -r: reverse DNS lookups (PTR) of new addresses, rate-limited and cached, as NAME events.' },
  { key: 'resolveRate', long: '--resolve-rate', value: 'N', doc: 'With --resolve: lookups per second at most, on average (default 20).' },
  { key: 'resolveServer', long: '--resolve-server', value: 'ADDR[:PORT]', doc: 'With --resolve: the DNS server to ask (an IP address; default: the system\'s resolvers).' },
  { key: 'statsInterval', long: '--stats-interval', value: 'SECONDS', doc: 'With -i: log the kernel\'s received/dropped capture counters this often (default 10).' },
  { key: 'trace', long: '--trace', doc: 'With -i: traceroute (UDP, rate-limited) new remote destinations; the capture reads the answers.' },
  { key: 'traceRate', long: '--trace-rate', value: 'N', doc: 'With --trace: traceroutes started per second at most (default 2).' },
  { key: 'traceMaxHops', long: '--trace-max-hops', value: 'N', doc: 'With --trace: highest TTL sent, 1 to 30 (default 30).' },
  { key: 'user', short: '-u', value: 'USER', doc: 'User to drop to after opening the capture (default _ggprobe, else nobody).' },
  { key: 'noDropPriv', long: '--no-droppriv', doc: 'Keep root (refused unless given explicitly).' },
  { key: 'relayListen', long: '--relay-listen', value: 'ADDR:PORT', doc: 'Also run a relay for other probes on ADDR:PORT, forwarding to -s (it drops privileges on its own).' },
  { key: 'relayId', long: '--relay-id', value: 'N', doc: 'With --relay-listen: the relay\'s own id upstream.' },
  { key: 'relaySecretFile', long: '--relay-secret-file', value: 'FILE', doc: 'With --relay-listen: the relay\'s own secret (mode 600).' },
  { key: 'relayProbesDir', long: '--relay-probes-dir', value: 'DIR', doc: 'With --relay-listen: directory of the secrets of the probes it accepts.' },
  { key: 'relayUser', long: '--relay-user', value: 'USER', doc: 'With --relay-listen: user the relay drops to (default _ggrelay, else nobody).' },
];

export const PROBE_SYNOPSIS = 'ggprobe [-dnv] (-i IFACE [-f BPF] [-B KIB] [--trace] | -r FILE [--realtime [FACTOR]] [--loop] | --simulate [--rate N] [--seed N] | -D)\n               [-s HOST[:PORT] --id N --secret-file FILE [--site-lat DEG --site-lng DEG --site-name NAME]] [--print]\n               [--resolve [--resolve-rate N] [--resolve-server ADDR[:PORT]]]\n               [--relay-listen ADDR:PORT --relay-id N --relay-secret-file FILE [--relay-probes-dir DIR]]';
export const PROBE_ABOUT = 'The glouglou probe: turns captured (or simulated) traffic into connection, traffic, DNS name and path events, and sends them to glougloud or a relay, or prints them as NDJSON.';
