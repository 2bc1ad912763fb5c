/**
 * When charts draw. Every chart on the page registers here once; a change of
 * its data only marks it due (O(1), from Svelte reactivity), and one
 * requestAnimationFrame callback draws every due chart that is on screen —
 * one batch per tick for the whole page, however many charts and however
 * many samples arrived since the last frame.
 *
 * - Off screen (an IntersectionObserver, with a margin so a chart scrolled
 *   towards is drawn before it shows) or in a hidden tab (no animation
 *   frames run there), a chart is not drawn; it stays due and is drawn once,
 *   with the newest data, in the first frame it is on screen again.
 * - `minGapMs` holds a chart's redraws that far apart (a replayed backlog
 *   arriving as a burst costs one draw, not one per sample).
 * - One ResizeObserver for all charts; before printing, every due chart draws.
 *
 * Plain TypeScript, no Svelte.
 */

export interface ChartJob {
  /** Draws the newest data now (called in the frame batch, only on screen). */
  draw(): void;
  /** The element's new size (CSS px, floored). */
  resize(width: number, height: number): void;
  /** Redraws at most this often; 0: every frame it is due. */
  minGapMs: number;
}

interface Entry {
  job: ChartJob;
  due: boolean;
  onScreen: boolean;
  drawnAt: number;
}

/** Charts this close to the viewport (share of its height) count as on screen: drawn before they scroll in. */
const MARGIN = '30% 0px';

const entries = new Map<Element, Entry>();
let frame = 0;
let later: ReturnType<typeof setTimeout> | undefined;
let intersection: IntersectionObserver | undefined;
let resizing: ResizeObserver | undefined;

function request(): void {
  if (frame === 0) frame = requestAnimationFrame(flush);
}

function flush(now: number): void {
  frame = 0;
  let wait = Number.POSITIVE_INFINITY;
  for (const entry of entries.values()) {
    if (!entry.due || !entry.onScreen) continue;
    const dueIn = entry.drawnAt + entry.job.minGapMs - now;
    if (dueIn > 0) {
      wait = Math.min(wait, dueIn);
      continue;
    }
    entry.due = false;
    entry.drawnAt = now;
    try {
      entry.job.draw();
    } catch (err) {
      // One chart failing must not keep the others from drawing; the error still surfaces.
      queueMicrotask(() => {
        throw err;
      });
    }
  }
  if (Number.isFinite(wait) && later === undefined) {
    later = setTimeout(() => {
      later = undefined;
      request();
    }, wait);
  }
}

/** Printing shows every chart: each one that is due draws now, on screen or not. */
function drawAllDue(): void {
  for (const entry of entries.values()) {
    if (!entry.due) continue;
    entry.due = false;
    entry.drawnAt = performance.now();
    entry.job.draw();
  }
}

function observers(): { intersection: IntersectionObserver; resizing: ResizeObserver } {
  if (!intersection) addEventListener('beforeprint', drawAllDue);
  intersection ??= new IntersectionObserver(
    (changes) => {
      for (const change of changes) {
        const entry = entries.get(change.target);
        if (!entry) continue;
        entry.onScreen = change.isIntersecting;
        if (entry.onScreen && entry.due) request();
      }
    },
    { rootMargin: MARGIN },
  );
  resizing ??= new ResizeObserver((changes) => {
    for (const change of changes) {
      const entry = entries.get(change.target);
      const el = change.target as HTMLElement;
      entry?.job.resize(Math.max(0, Math.floor(el.clientWidth)), Math.max(0, Math.floor(el.clientHeight)));
    }
  });
  return { intersection, resizing };
}

/** Whether an element is on screen now (or near it), before the observer's first report. */
function nearViewport(el: Element): boolean {
  const r = el.getBoundingClientRect();
  const margin = innerHeight * 0.3;
  return r.bottom >= -margin && r.top <= innerHeight + margin && r.right >= 0 && r.left <= innerWidth;
}

export interface Scheduled {
  /** The chart's data changed: it draws in the next frame it is on screen. */
  invalidate(): void;
  /** Whether it is on screen (or near it) now. */
  readonly onScreen: boolean;
  /** Marks it drawn now (e.g. by its constructor). */
  drawn(): void;
  remove(): void;
}

/** Registers a chart's element and what drawing it means. */
export function schedule(el: HTMLElement, job: ChartJob): Scheduled {
  const entry: Entry = { job, due: false, onScreen: nearViewport(el), drawnAt: Number.NEGATIVE_INFINITY };
  entries.set(el, entry);
  const { intersection, resizing } = observers();
  intersection.observe(el);
  resizing.observe(el);
  return {
    invalidate() {
      entry.due = true;
      if (entry.onScreen) request();
    },
    get onScreen() {
      return entry.onScreen;
    },
    drawn() {
      entry.due = false;
      entry.drawnAt = performance.now();
    },
    remove() {
      entries.delete(el);
      intersection.unobserve(el);
      resizing.unobserve(el);
    },
  };
}
