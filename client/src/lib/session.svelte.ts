import { hasRole, type Me, type Role } from '$shared/auth.ts';
import type { SnapshotViewer } from '$shared/events.ts';
import { API, PAGES } from '$shared/routes.ts';
import { ApiError, getJson, onUnauthenticated, sendJson } from './api.ts';

/** Why the login page opens: shown there as a notice. */
export type LoginReason = 'ended' | 'logout';

/** Pages that never send anyone to the login page (a wall screen has a token, not a session). */
const NO_LOGIN_PATHS = new Set<string>([PAGES.login, PAGES.kiosk]);

/** A path without trailing slashes ("/kiosk/" is the kiosk too); by default this page's. */
export function currentPath(pathname: string = location.pathname): string {
  return pathname.length > 1 ? pathname.replace(/\/+$/, '') || PAGES.dashboard : pathname;
}

/** Where to go after logging in: a path of ours, never another site, never the login page itself. */
export function safeNext(raw: string | null): string {
  if (!raw || !raw.startsWith('/') || raw.startsWith('//') || raw.startsWith('/\\')) return PAGES.dashboard;
  const url = new URL(raw, location.origin);
  if (url.origin !== location.origin || url.pathname === PAGES.login) return PAGES.dashboard;
  return url.pathname + url.search + url.hash;
}

/** The login page's address, coming back to `next` afterwards. */
export function loginHref(next: string | null, reason?: LoginReason): string {
  const params = new URLSearchParams();
  if (next && next !== PAGES.dashboard) params.set('next', next);
  if (reason) params.set('reason', reason);
  const query = params.toString();
  return query ? `${PAGES.login}?${query}` : PAGES.login;
}

/**
 * Who is using this browser: the user of the session cookie, learnt from
 * GET API.me at start and from every socket snapshot (`viewer`). The
 * UI offers only what this role may do; the server checks anyway.
 */
class Session {
  me = $state.raw<Me | null>(null);
  /** The server was asked and said something other than "log in first" (or could not answer). */
  #checked = $state(false);
  /** Leaving for the login page (logout or an ended session): nothing else redirects meanwhile. */
  #leaving = false;

  /** Pages may load their data: we know who this is, or asking failed for another reason than a missing session. */
  get settled(): boolean {
    return this.me !== null || this.#checked;
  }

  get role(): Role | null {
    return this.me?.role ?? null;
  }

  /** True when the signed-in user's role may do what `needed` may (false until known). */
  can(needed: Role): boolean {
    return this.me !== null && hasRole(this.me.role, needed);
  }

  fromViewer(viewer: SnapshotViewer): void {
    const me = this.me;
    if (me && me.kind === viewer.kind && me.name === viewer.name && me.role === viewer.role) return;
    this.me = { kind: viewer.kind, name: viewer.name, role: viewer.role };
  }

  /** Asks the server who we are (a 401 sends the browser to the login page, see api.ts). */
  async load(): Promise<Me | null> {
    try {
      this.me = await getJson<Me>(API.me, {});
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) return null; // on the way to the login page
      console.warn('glasswatch: could not ask who is logged in', err);
    }
    this.#checked = true;
    return this.me;
  }

  /** Ends the session on the server, then opens the login page (a full load: nothing of this user stays in memory). */
  async logout(): Promise<void> {
    this.#leaving = true;
    try {
      await sendJson<void>('POST', API.logout);
    } catch (err) {
      console.warn('glasswatch: logout request failed; the session cookie may outlive this page', err);
    }
    location.assign(loginHref(null, 'logout'));
  }

  /**
   * Not (or no longer) logged in: to the login page, which comes back here
   * afterwards. Says "your session ended" when someone was logged in. Never
   * from the login page itself or a wall screen.
   */
  loginNeeded(): void {
    if (this.#leaving || NO_LOGIN_PATHS.has(currentPath())) return;
    this.#leaving = true;
    const here = location.pathname + location.search;
    location.assign(loginHref(here, this.me ? 'ended' : undefined));
  }

  /** True while the page is on its way to the login page. */
  get leaving(): boolean {
    return this.#leaving;
  }
}

export const session = new Session();

onUnauthenticated(() => session.loginNeeded());
