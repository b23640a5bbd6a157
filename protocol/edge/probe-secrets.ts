import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { readSecretFile } from './secret-file.js';

/** Outcome of loading a probe secrets directory. */
export interface SecretsLoad { loaded: number; refused: { file: string; error: string }[] }

/**
 * A directory of probe secrets, as every server of probes keeps one (glougloud,
 * relays): one file per probe id, named by the id, its content the secret.
 * Files readable by group or others are refused. Reloaded whole (SIGHUP): a
 * probe whose file disappeared can no longer authenticate.
 */
export class ProbeSecretsDir {
  private secrets = new Map<number, Buffer>();

  constructor(private readonly dir: string) {}

  /** (Re)reads the directory; the old set stays in force if the directory cannot be read. */
  load(): { ok: true; result: SecretsLoad } | { ok: false; error: string } {
    let names: string[];
    try {
      names = readdirSync(this.dir);
    } catch (e) {
      return { ok: false, error: `cannot read probe secrets directory ${this.dir}: ${(e as NodeJS.ErrnoException).code}` };
    }
    const next = new Map<number, Buffer>();
    const refused: SecretsLoad['refused'] = [];
    for (const name of names) {
      if (name.startsWith('.')) continue;
      if (!/^\d{1,10}$/.test(name) || Number(name) < 1 || Number(name) > 0xffffffff) {
        refused.push({ file: name, error: 'file name is not a probe id (1 to 4294967295)' });
        continue;
      }
      const r = readSecretFile(join(this.dir, name));
      if (r.ok) next.set(Number(name), r.secret);
      else refused.push({ file: name, error: r.error });
    }
    this.secrets = next;
    return { ok: true, result: { loaded: next.size, refused } };
  }

  /** The secret of a probe, if it has one. */
  secretFor(probeId: number): Buffer | undefined {
    return this.secrets.get(probeId);
  }

  /** Number of probes with a secret. */
  get size(): number { return this.secrets.size; }
}
