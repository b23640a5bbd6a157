/**
 * The login page: a password (and, when the server has named users, a user
 * name). It says clearly why a login failed: wrong password, too many
 * attempts (with the wait counted down), server busy.
 */
import { byId } from './dom.js';

/** Messages for the login errors the server sends (by stable code). */
export const LOGIN_MESSAGES: Readonly<Record<string, string>> = Object.freeze({
  GG_VIZ_AUTH_FAILED: 'Wrong password.',
  GG_VIZ_RATE_LIMITED: 'Too many failed logins from this address.',
  GG_VIZ_BUSY: 'The server is busy checking other logins.',
  GG_VIZ_BAD_VERSION: 'This page does not speak the server’s protocol version: reload it.',
});

/** The login overlay. */
export class LoginView {
  private readonly root = byId('login');
  private readonly form = byId<HTMLFormElement>('login-form');
  private readonly error = byId('login-error');
  private readonly submit = byId<HTMLButtonElement>('login-submit');
  private countdown: ReturnType<typeof setInterval> | null = null;

  constructor(onSubmit: (password: string, user: string | null) => void) {
    this.form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      const data = new FormData(this.form);
      const password = String(data.get('password') ?? '');
      const user = String(data.get('user') ?? '').trim();
      if (!password) return;
      this.submit.disabled = true;
      this.error.hidden = true;
      onSubmit(password, user || null);
    });
  }

  /** Shows or hides the form. */
  show(on: boolean): void {
    if (on === !this.root.hidden) return;
    this.root.hidden = !on;
    if (on) {
      this.submit.disabled = this.countdown !== null;
      (this.form.elements.namedItem('password') as HTMLInputElement).focus();
    } else {
      (this.form.elements.namedItem('password') as HTMLInputElement).value = '';
    }
  }

  /** A login was refused. */
  failed(code: string, retryAfterMs: number | null): void {
    const base = LOGIN_MESSAGES[code] ?? `Login refused (${code}).`;
    this.error.hidden = false;
    this.error.dataset.code = code;
    if (this.countdown) clearInterval(this.countdown);
    this.countdown = null;
    const until = retryAfterMs ? Date.now() + retryAfterMs : 0;
    const tick = (): void => {
      const left = Math.ceil((until - Date.now()) / 1000);
      if (left <= 0) {
        this.error.textContent = base;
        this.submit.disabled = false;
        if (this.countdown) clearInterval(this.countdown);
        this.countdown = null;
        return;
      }
      this.error.textContent = `${base} Try again in ${left} s.`;
      this.submit.disabled = true;
    };
    tick();
    if (until > Date.now()) this.countdown = setInterval(tick, 250);
    const pw = this.form.elements.namedItem('password') as HTMLInputElement;
    if (code === 'GG_VIZ_AUTH_FAILED') { pw.select(); }
  }

  /** The login is being checked (or retried after a wait). */
  pending(): void {
    this.submit.disabled = true;
  }
}
