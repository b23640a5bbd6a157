#!/usr/bin/env node
import { COMMON_OPTIONS, formatHelp, parseArgs, type OptionSpec } from '../protocol/edge/cli.js';

/** ggrelay's options (the relay itself is not built yet: only --help works). */
const OPTIONS: OptionSpec[] = [
  ...COMMON_OPTIONS,
  { key: 'listen', short: '-l', value: 'ADDR', doc: 'Address to accept probes on.' },
  { key: 'port', short: '-p', value: 'PORT', doc: 'Port to accept probes on.' },
  { key: 'upstream', short: '-s', value: 'HOST[:PORT]', doc: 'glougloud or another relay to forward to.' },
  { key: 'id', long: '--id', value: 'N', doc: 'This relay\'s probe id upstream.' },
  { key: 'secretFile', long: '--secret-file', value: 'FILE', doc: 'File holding this relay\'s secret (mode 600).' },
  { key: 'probesDir', long: '--probes-dir', value: 'DIR', doc: 'Directory of downstream probe secrets.' },
];

const parsed = parseArgs(process.argv.slice(2), OPTIONS);
if (!parsed.ok) {
  process.stderr.write(`ggrelay: ${parsed.error}\n`);
  process.exit(2);
}
if (parsed.args.values.help) {
  process.stdout.write(formatHelp('ggrelay [-dnv] [-f FILE] -l ADDR -p PORT -s UPSTREAM[:PORT] --id N --secret-file FILE', 'Forwards glouglou probes\' events upstream, so probes can report through a tree of relays.', OPTIONS));
  process.exit(0);
}
process.stderr.write('ggrelay: not implemented yet (only --help works)\n');
process.exit(2);
