/**
 * How a wall screen is opened: `/kiosk?token=…` (a display token, stored
 * server-side, so it keeps working across restarts) or `/kiosk` in a logged-in
 * browser (the session cookie). The first `?token=` is remembered in this
 * browser (localStorage), so `/kiosk` opened later — a bookmark, a TV that
 * lost its address bar's query — is the same display; the token in the
 * address, when there is one, wins. A token the server refuses (revoked,
 * unknown) is forgotten, and the screen says so. The kiosk never sends
 * anyone to the login page (session.svelte.ts exempts its path).
 */
import { PAGES } from '$shared/routes.ts';
import { currentPath } from './session.svelte.ts';

const STORAGE_KEY = 'glasswatch.kioskToken';

function isKioskPath(): boolean {
  return currentPath() === PAGES.kiosk;
}

function stored(): string | undefined {
  try {
    return localStorage.getItem(STORAGE_KEY) ?? undefined;
  } catch {
    return undefined; // storage refused (private mode): only the address counts
  }
}

function store(token: string | undefined): void {
  try {
    if (token === undefined) localStorage.removeItem(STORAGE_KEY);
    else localStorage.setItem(STORAGE_KEY, token);
  } catch {
    // Storage refused: the token lasts as long as it stays in the address.
  }
}

/** The token in this page's address, when this page is the kiosk. */
function fromAddress(): string | undefined {
  if (typeof location === 'undefined' || !isKioskPath()) return undefined;
  return new URLSearchParams(location.search).get('token')?.trim() || undefined;
}

/** The token this kiosk page would open with now: its address's, else the one remembered. */
export function launchToken(): string | undefined {
  if (typeof location === 'undefined' || !isKioskPath()) return undefined;
  return fromAddress() ?? stored();
}

class DisplayLaunch {
  /** The token the socket sends (decided when the page loads; a refusal may clear it). */
  token: string | undefined;
  /** Where it came from. */
  source: 'address' | 'remembered' | undefined;
  /** A remembered token was refused and forgotten: the wall says so (reactive). */
  forgotten = $state(false);

  constructor() {
    const address = fromAddress();
    if (address !== undefined) {
      this.token = address;
      this.source = 'address';
      store(address); // once is enough: `/kiosk` alone opens this display from now on
    } else {
      this.token = launchToken();
      this.source = this.token === undefined ? undefined : 'remembered';
    }
  }

  /**
   * The server refused the token (revoked or unknown): forget the remembered
   * copy. A remembered token stops being sent (this browser's session, if
   * any, is tried instead); one in the address stays, as the address says.
   */
  refused(): void {
    if (this.token === undefined) return;
    if (stored() === this.token) store(undefined);
    if (this.source === 'remembered') {
      this.token = undefined;
      this.source = undefined;
      this.forgotten = true;
    }
  }
}

export const displayLaunch = new DisplayLaunch();

export function displayToken(): string | undefined {
  return displayLaunch.token;
}
