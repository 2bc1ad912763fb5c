/**
 * A wall screen notices a server upgrade: the snapshot says which version the
 * server runs, the page knows which it was built as (Vite `define`, from
 * package.json), and when they differ the page reloads itself to fetch the
 * new client. Guarded against loops: if a reload did not bring the new
 * version (a stale build, a cache), the next attempts wait longer and longer
 * (1 min, 4 min, 16 min, then hourly), counted in sessionStorage, which
 * survives the reload.
 */
declare const __GLASSWATCH_VERSION__: string;

export const BUILD_VERSION: string = __GLASSWATCH_VERSION__;

const STORAGE_KEY = 'glasswatch.kiosk.reload';
/** Before the first reload: a few seconds, spread so a wall of screens does not reload at once. */
const FIRST_DELAY_MS = { min: 1_000, spread: 4_000 };
const RETRY_BASE_MS = 60_000;
const RETRY_MAX_MS = 3600_000;

/** The reloads already tried for one server version. */
interface ReloadRecord {
  to: string;
  attempts: number;
  lastAt: number;
}

function readRecord(): ReloadRecord | null {
  try {
    const raw = sessionStorage.getItem(STORAGE_KEY);
    const parsed = raw ? (JSON.parse(raw) as Partial<ReloadRecord>) : null;
    return parsed && typeof parsed.to === 'string' && typeof parsed.attempts === 'number' && typeof parsed.lastAt === 'number'
      ? (parsed as ReloadRecord)
      : null;
  } catch {
    return null; // storage disabled or garbage: treated as no reload tried yet
  }
}

function writeRecord(record: ReloadRecord | null): void {
  try {
    if (record) sessionStorage.setItem(STORAGE_KEY, JSON.stringify(record));
    else sessionStorage.removeItem(STORAGE_KEY);
  } catch (err) {
    console.warn('glasswatch: sessionStorage unavailable; reload attempts are not counted', err);
  }
}

export interface ReloadPlan {
  /** The version the server runs. */
  to: string;
  /** Client time of the reload. */
  at: number;
  /** How many reloads for this version were tried already (0: this is the first). */
  attempts: number;
}

/**
 * What to do about the server's version: null when it matches this build
 * (and then past attempts are forgotten), else when to reload.
 */
export function planReload(serverVersion: string, now: number = Date.now()): ReloadPlan | null {
  if (serverVersion === BUILD_VERSION) {
    if (readRecord()) writeRecord(null);
    return null;
  }
  const record = readRecord();
  if (!record || record.to !== serverVersion) {
    return { to: serverVersion, at: now + FIRST_DELAY_MS.min + Math.random() * FIRST_DELAY_MS.spread, attempts: 0 };
  }
  const waitMs = Math.min(RETRY_MAX_MS, RETRY_BASE_MS * 4 ** (record.attempts - 1));
  return { to: serverVersion, at: Math.max(now, record.lastAt + waitMs), attempts: record.attempts };
}

/** A reload attempt whose page did not answer is tried again this much later. */
const UNREACHABLE_RETRY_MS = 30_000;

/**
 * Reloads for `plan`, once the page itself answers (a reload into a server
 * that is down would leave the browser's error page on the wall for good).
 * Resolves false when the server did not answer: plan again later.
 */
async function reloadFor(plan: ReloadPlan): Promise<boolean> {
  try {
    const res = await fetch(location.href, { cache: 'no-store', headers: { accept: 'text/html' } });
    if (!res.ok) return false;
  } catch {
    return false;
  }
  writeRecord({ to: plan.to, attempts: plan.attempts + 1, lastAt: Date.now() });
  location.reload();
  return true;
}

/**
 * Acts on the version the server reported: nothing when it matches this
 * build, else a reload when the plan says, telling the screen what it does
 * through `note` (null: nothing to say). Returns the cancel function.
 */
export function followServerVersion(serverVersion: string, note: (text: string | null) => void): () => void {
  const plan = planReload(serverVersion);
  if (!plan) {
    note(null);
    return () => {};
  }
  let timer: ReturnType<typeof setTimeout>;
  const attempt = async () => {
    note(`Server updated to ${plan.to} (this screen runs ${BUILD_VERSION}): reloading…`);
    if (!(await reloadFor(plan))) timer = setTimeout(attempt, UNREACHABLE_RETRY_MS);
  };
  note(
    plan.attempts === 0
      ? `Server updated to ${plan.to} (this screen runs ${BUILD_VERSION}): reloading shortly`
      : `Server runs ${plan.to}, this screen ${BUILD_VERSION}: the last reload did not update it; trying again at ${new Date(plan.at).toLocaleTimeString()}`,
  );
  timer = setTimeout(attempt, Math.max(0, plan.at - Date.now()));
  return () => clearTimeout(timer);
}
