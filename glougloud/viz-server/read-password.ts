/**
 * Reads a password for `glougloud --hash-password` from standard input,
 * never from the command line (where `ps` and shell history would show it).
 * On a terminal it prompts on stderr and does not echo; otherwise it reads
 * everything and drops one trailing newline.
 */

/** Largest password accepted (matches the viz protocol's limit). */
const MAX = 1024;

/** The password typed or piped in, or an error value. */
export async function readPassword(stdin: NodeJS.ReadStream = process.stdin, stderr: NodeJS.WriteStream = process.stderr): Promise<{ ok: true; password: string } | { ok: false; error: string }> {
  let text: string;
  if (stdin.isTTY) {
    stderr.write('Password: ');
    stdin.setRawMode(true);
    text = await new Promise<string>((resolve) => {
      let s = '';
      const onData = (d: Buffer): void => {
        for (const ch of d.toString('utf8')) {
          if (ch === '\r' || ch === '\n' || ch === '\u0004') { stdin.off('data', onData); resolve(s); return; }
          if (ch === '\u0003') { stdin.off('data', onData); resolve('\u0003'); return; }
          if (ch === '\u007f' || ch === '\b') s = s.slice(0, -1);
          else s += ch;
        }
      };
      stdin.on('data', onData);
    });
    stdin.setRawMode(false);
    stdin.pause();
    stderr.write('\n');
    if (text === '\u0003') return { ok: false, error: 'interrupted' };
  } else {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const c of stdin) { chunks.push(c as Buffer); size += (c as Buffer).length; if (size > MAX + 2) break; }
    text = Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
  }
  if (text.length === 0) return { ok: false, error: 'empty password' };
  if (text.length > MAX) return { ok: false, error: `password longer than ${MAX} characters` };
  return { ok: true, password: text };
}
