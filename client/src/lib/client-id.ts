const STORAGE_KEY = 'glasswatch.clientId';

let cached: string | null = null;

function randomId(): string {
  // crypto.randomUUID needs a secure context; a LAN wall screen on plain http has getRandomValues only.
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

/** A random id this browser keeps (localStorage), so several tabs count as one session. */
export function clientId(): string {
  if (cached) return cached;
  try {
    cached = localStorage.getItem(STORAGE_KEY);
    if (!cached) {
      cached = randomId();
      localStorage.setItem(STORAGE_KEY, cached);
    }
  } catch (err) {
    // Storage disabled (private mode, policy): an id for this page's life is the best we can do.
    console.warn('glasswatch: localStorage unavailable, client id not persisted', err);
    cached ??= randomId();
  }
  return cached;
}
