/**
 * How a wall screen is opened: `/kiosk?token=…` (a display token, stored
 * server-side, so it keeps working across restarts) or `/kiosk` in a logged-in
 * browser (the session cookie). The token stays in the address bar for the
 * page's whole life, so a reload — ours after a server upgrade, or the TV's
 * after a power cut — comes back as the same display. The kiosk never sends
 * anyone to the login page (session.svelte.ts exempts its path).
 */
export const KIOSK_PATH = '/kiosk';

export function isKioskPath(pathname: string = location.pathname): boolean {
  return (pathname.length > 1 ? pathname.replace(/\/+$/, '') : pathname) === KIOSK_PATH;
}

/** The display token from the URL when this page is the kiosk; read once (the URL never changes here). */
const TOKEN: string | undefined = (() => {
  if (typeof location === 'undefined' || !isKioskPath()) return undefined;
  const token = new URLSearchParams(location.search).get('token')?.trim();
  return token ? token : undefined;
})();

export function displayToken(): string | undefined {
  return TOKEN;
}
