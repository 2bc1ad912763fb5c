import type uPlot from 'uplot';
import { formatClock, formatDateTime } from '../../time.ts';

export interface TooltipRow {
  label: string;
  color: string;
  /** Text for the value of this row at data index `idx`. */
  text: (u: uPlot, idx: number) => string;
}

/**
 * A small glass tooltip following the cursor: the time and one row per
 * series. Built with DOM APIs (textContent, element.style): CSP-safe.
 */
export function tooltipPlugin(rows: TooltipRow[], { withDate = false } = {}): uPlot.Plugin {
  let tip: HTMLDivElement;
  let time: HTMLDivElement;
  let values: HTMLSpanElement[] = [];

  function init(u: uPlot): void {
    tip = document.createElement('div');
    tip.className = 'chart-tooltip';
    tip.hidden = true;
    time = document.createElement('div');
    time.className = 'chart-tooltip-time';
    tip.append(time);
    values = rows.map((row) => {
      const line = document.createElement('div');
      const swatch = document.createElement('i');
      swatch.style.background = row.color;
      const label = document.createElement('span');
      label.textContent = row.label;
      const value = document.createElement('b');
      line.append(swatch, label, value);
      tip.append(line);
      return value;
    });
    u.over.append(tip);
    u.over.addEventListener('mouseleave', () => (tip.hidden = true));
  }

  function setCursor(u: uPlot): void {
    const { idx, left, top } = u.cursor;
    const x = idx == null ? undefined : u.data[0][idx];
    if (idx == null || x == null || left == null || top == null || left < 0) {
      tip.hidden = true;
      return;
    }
    tip.hidden = false;
    time.textContent = withDate ? formatDateTime(x * 1000) : formatClock(x * 1000);
    rows.forEach((row, i) => (values[i]!.textContent = row.text(u, idx)));
    const width = u.over.clientWidth;
    const flip = left > width / 2;
    tip.style.left = `${flip ? left - tip.offsetWidth - 12 : left + 12}px`;
    tip.style.top = `${Math.max(0, Math.min(top - tip.offsetHeight / 2, u.over.clientHeight - tip.offsetHeight))}px`;
  }

  return { hooks: { init, setCursor } };
}
