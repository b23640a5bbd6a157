/**
 * Command-line conventions shared by every daemon (-d -v -n -f FILE --help),
 * declared as a table of options so parsing and --help follow from one place.
 * Errors are values: a daemon prints them and exits 2.
 */

/** One command-line option. */
export interface OptionSpec {
  /** Key in the parsed result. */
  key: string;
  short?: string;
  long?: string;
  /** Name of the value in --help; absent for a flag. */
  value?: string;
  /** Flag counted each time it appears (-vvv). */
  repeatable?: boolean;
  /** Value optional (e.g. --realtime [FACTOR]); the next word is taken only if it parses as a number. */
  optionalNumber?: boolean;
  doc: string;
}

/** Parsed command line: option values by key, plus leftover positional words. */
export interface ParsedArgs {
  values: Record<string, string | number | boolean | undefined>;
  positional: string[];
}

/** The options every daemon has. */
export const COMMON_OPTIONS: OptionSpec[] = [
  { key: 'foreground', short: '-d', doc: 'Stay in the foreground and log to stderr.' },
  { key: 'verbose', short: '-v', repeatable: true, doc: 'More logging; repeat for more (-vv: trace).' },
  { key: 'check', short: '-n', doc: 'Check the configuration, print "configuration OK" and exit.' },
  { key: 'config', short: '-f', value: 'FILE', doc: 'Configuration file (JSON).' },
  { key: 'help', short: '-h', long: '--help', doc: 'Show this help and exit.' },
];

/** Parses argv against the option table. */
export function parseArgs(argv: readonly string[], specs: readonly OptionSpec[]): { ok: true; args: ParsedArgs } | { ok: false; error: string } {
  const values: ParsedArgs['values'] = {};
  const positional: string[] = [];
  const byName = new Map<string, OptionSpec>();
  for (const s of specs) {
    if (s.short) byName.set(s.short, s);
    if (s.long) byName.set(s.long, s);
  }
  for (let i = 0; i < argv.length; i++) {
    let word = argv[i];
    let inline: string | undefined;
    if (word.startsWith('--') && word.includes('=')) {
      inline = word.slice(word.indexOf('=') + 1);
      word = word.slice(0, word.indexOf('='));
    }
    // Bundled short flags: -dvv
    if (/^-[a-zA-Z]{2,}$/.test(word) && !byName.has(word)) {
      const expanded = [...word.slice(1)].map((c) => `-${c}`);
      if (expanded.every((e) => byName.get(e) && !byName.get(e)!.value)) {
        argv = [...argv.slice(0, i), ...expanded, ...argv.slice(i + 1)];
        word = argv[i];
      }
    }
    if (!word.startsWith('-') || word === '-') { positional.push(argv[i]); continue; }
    const spec = byName.get(word);
    if (!spec) return { ok: false, error: `unknown option ${word}` };
    if (spec.repeatable) { values[spec.key] = ((values[spec.key] as number) ?? 0) + 1; continue; }
    if (spec.optionalNumber) {
      const next = inline ?? argv[i + 1];
      if (next !== undefined && next !== '' && !Number.isNaN(Number(next))) {
        values[spec.key] = Number(next);
        if (inline === undefined) i++;
      } else values[spec.key] = true;
      continue;
    }
    if (!spec.value) {
      if (inline !== undefined) return { ok: false, error: `${word} takes no value` };
      values[spec.key] = true;
      continue;
    }
    const v = inline ?? argv[++i];
    if (v === undefined) return { ok: false, error: `${word} needs a value (${spec.value})` };
    values[spec.key] = v;
  }
  return { ok: true, args: { values, positional } };
}

/** Renders --help from the option table. */
export function formatHelp(synopsis: string, about: string, specs: readonly OptionSpec[]): string {
  const lines = [`usage: ${synopsis}`, '', about, '', 'options:'];
  for (const s of specs) {
    const names = [s.short, s.long].filter(Boolean).join(', ');
    const val = s.value ? (s.optionalNumber ? ` [${s.value}]` : ` ${s.value}`) : '';
    lines.push(`  ${(names + val).padEnd(30)} ${s.doc}`);
  }
  return lines.join('\n') + '\n';
}

/** Reads a number option with bounds, as an error value when it is not one. */
export function numberOption(v: unknown, name: string, min: number, max: number): { ok: true; value: number } | { ok: false; error: string } {
  const n = typeof v === 'number' ? v : Number(v);
  if (typeof v === 'boolean' || v === '' || !Number.isFinite(n) || n < min || n > max) {
    return { ok: false, error: `${name}: expected a number in [${min}, ${max}], got ${JSON.stringify(v)}` };
  }
  return { ok: true, value: n };
}
