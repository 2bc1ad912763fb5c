import type { Component } from 'svelte';
import type { MetricName } from '$shared/catalog.ts';
import type { IconName } from '../lib/icons.ts';

/**
 * A dashboard panel: what it shows, from the catalog. The dashboard is a list
 * of these (panels/index.ts): a plain card is one line there; a card with a
 * component of its own is a folder (load/, network/) and one line.
 */
export interface PanelDef {
  /** Also the card's `data-panel`. */
  id: string;
  title: string;
  icon: IconName;
  /** The headline metric: big value and, unless `status` says otherwise, the status pill. */
  metric: MetricName;
  /** Metrics whose worst status the pill shows (default: the headline metric). */
  status?: readonly MetricName[];
  /** Drawn as a streaming chart, one series each (sharing the first one's unit); null: no chart. */
  chart: readonly MetricName[] | null;
  /** Smaller figures beside the value. */
  figures?: readonly MetricName[];
  /** A card of its own (extra figures, another layout); default: the plain MetricCard. */
  component?: Component<PanelProps>;
}

export interface PanelProps {
  panel: PanelDef;
}
