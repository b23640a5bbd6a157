/**
 * Network namespaces a test creates and removes itself: hosts joined by veth
 * pairs on private test subnets. Root only; every name carries a per-run tag
 * so parallel runs and leftovers never collide.
 */
import { execFileSync } from 'node:child_process';

/** True when the tests may create namespaces. */
export const canUseNetns = (() => {
  if (process.getuid?.() !== 0) return false;
  try {
    execFileSync('ip', ['netns', 'list'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

/** Why namespace tests are skipped here. */
export const NETNS_SKIP_REASON = process.getuid?.() !== 0 ? 'needs root to create network namespaces' : 'the ip command (iproute2) cannot list namespaces';

/** Runs `ip ARGS`, throwing with its stderr on failure. */
export function ip(...args: string[]): string {
  return execFileSync('ip', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** A set of namespaces and links created for one test file. */
export class NetnsLab {
  readonly tag = `gg${process.pid % 10000}${Math.floor(Math.random() * 1000)}`;
  private readonly namespaces: string[] = [];

  /** Creates a namespace (loopback up) and returns its full name. */
  add(name: string): string {
    const ns = `${this.tag}${name}`;
    ip('netns', 'add', ns);
    this.namespaces.push(ns);
    ip('-n', ns, 'link', 'set', 'lo', 'up');
    return ns;
  }

  /** Joins two namespaces with a veth pair; addresses in CIDR form. Returns the two interface names. */
  link(a: string, aAddr: string, b: string, bAddr: string): [string, string] {
    const n = this.namespaces.length + Math.floor(Math.random() * 1000);
    const ia = `v${n}a`;
    const ib = `v${n}b`;
    ip('link', 'add', ia, 'netns', a, 'type', 'veth', 'peer', 'name', ib, 'netns', b);
    ip('-n', a, 'addr', 'add', aAddr, 'dev', ia);
    ip('-n', b, 'addr', 'add', bAddr, 'dev', ib);
    ip('-n', a, 'link', 'set', ia, 'up');
    ip('-n', b, 'link', 'set', ib, 'up');
    return [ia, ib];
  }

  /** Runs a command inside a namespace. */
  exec(ns: string, cmd: string, ...args: string[]): string {
    return execFileSync('ip', ['netns', 'exec', ns, cmd, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  }

  /** Deletes every namespace created (their veths go with them). */
  cleanup(): void {
    for (const ns of this.namespaces.splice(0)) {
      try { ip('netns', 'del', ns); } catch { /* already gone */ }
    }
  }
}
