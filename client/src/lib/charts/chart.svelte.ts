import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { untrack } from 'svelte';
import type { Attachment } from 'svelte/attachments';
import { schedule } from './scheduler.ts';

/** uPlot options without the size: the element decides that. */
export type ChartOptions = Omit<uPlot.Options, 'width' | 'height'>;

/**
 * What makes one kind of chart (live, history, kiosk): configuration only —
 * the lifecycle is `chart()`'s, the same for all.
 */
export interface ChartConfig {
  /** uPlot options for this element, built once per mount (uPlot keeps state on the objects it is given). */
  options: (el: HTMLElement) => ChartOptions;
  /**
   * The columns to draw. Called only when the chart draws — in the frame
   * batch, on screen — never from reactivity; may hand back the same
   * (rewritten) arrays every time.
   */
  data: () => uPlot.AlignedData;
  /**
   * Reactive and O(1) (a version counter, a result object): read in an
   * effect, and when what it reads changes the chart is due for a redraw.
   */
  changed: () => unknown;
  /** Redraws at most this often (ms). Default 0: in every frame it is due. */
  minGapMs?: number;
  /** After every draw, with what was drawn (e.g. attributes tests read). */
  drawn?: (el: HTMLElement, data: uPlot.AlignedData) => void;
}

function sizeOf(el: HTMLElement): { width: number; height: number } {
  return { width: Math.max(0, Math.floor(el.clientWidth)), height: Math.max(0, Math.floor(el.clientHeight)) };
}

/**
 * `{@attach chart(config)}`: one uPlot per element, created once and
 * destroyed with the element. A change (`config.changed()`) only marks the
 * chart due; the scheduler draws every due chart that is on screen in one
 * animation frame, with `setData` on reused columns. A chart off screen or
 * in a hidden tab is not drawn until it shows, and then at once with the
 * newest data.
 */
export function chart(config: ChartConfig): Attachment<HTMLElement> {
  return (el) => {
    let u: uPlot | undefined;
    const draw = () => {
      if (!u) return;
      const data = config.data();
      // Immediate mode: drawn now, inside the frame batch, not in a microtask after it.
      u.batch(() => u!.setData(data));
      config.drawn?.(el, data);
    };
    const job = schedule(el, {
      draw,
      resize(width, height) {
        if (!u || (width === u.width && height === u.height)) return;
        // With the newest data when on screen: a resize never shows an old picture.
        const plot = u;
        plot.batch(() => {
          plot.setSize({ width, height });
          if (job.onScreen) plot.setData(config.data());
        });
        if (job.onScreen) {
          config.drawn?.(el, plot.data);
          job.drawn();
        } else job.invalidate();
      },
      minGapMs: config.minGapMs ?? 0,
    });

    // Built untracked: the attachment must not re-run when state read by the first draw changes.
    untrack(() => {
      const options = config.options(el);
      if (job.onScreen) {
        const data = config.data();
        u = new uPlot({ ...options, ...sizeOf(el) }, data, el);
        config.drawn?.(el, data);
        job.drawn();
      } else {
        // Off screen: the frame and axes now, the data when it first shows.
        u = new uPlot({ ...options, ...sizeOf(el) }, options.series.map((): number[] => []) as unknown as uPlot.AlignedData, el);
        job.invalidate();
      }
    });

    let first = true;
    $effect(() => {
      config.changed();
      if (first) first = false;
      else job.invalidate();
    });

    return () => {
      job.remove();
      u?.destroy();
    };
  };
}
