import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { untrack } from 'svelte';
import type { Attachment } from 'svelte/attachments';

/** uPlot options without the size: the element decides that. */
export type ChartOptions = Omit<uPlot.Options, 'width' | 'height'>;

function sizeOf(el: HTMLElement): { width: number; height: number } {
  return { width: Math.max(0, Math.floor(el.clientWidth)), height: Math.max(0, Math.floor(el.clientHeight)) };
}

/**
 * `{@attach chart(options, data)}`: one uPlot per element, created once,
 * `setData` whenever the state `data()` reads changes (every tick), `setSize`
 * when the element resizes, `destroy()` when it goes. `options` is called per
 * mount because uPlot keeps state on the objects it is given. A hidden tab
 * skips the drawing and catches up once when it is shown again.
 */
export function chart(options: () => ChartOptions, data: () => uPlot.AlignedData): Attachment<HTMLElement> {
  return (el) => {
    const u = untrack(() => new uPlot({ ...options(), ...sizeOf(el) }, data(), el));

    let first = true;
    let behind = false;
    $effect(() => {
      const next = data();
      if (first) {
        first = false; // the constructor drew this already
        return;
      }
      if (document.hidden) {
        behind = true;
        return;
      }
      u.setData(next);
    });
    const onVisibility = () => {
      if (document.hidden || !behind) return;
      behind = false;
      u.setData(untrack(data));
    };
    document.addEventListener('visibilitychange', onVisibility);

    const resize = new ResizeObserver(() => {
      const size = sizeOf(el);
      if (size.width !== u.width || size.height !== u.height) u.setSize(size);
    });
    resize.observe(el);

    return () => {
      document.removeEventListener('visibilitychange', onVisibility);
      resize.disconnect();
      u.destroy();
    };
  };
}
