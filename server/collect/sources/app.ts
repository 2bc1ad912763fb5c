import type { Source } from '../source.ts';

export interface AudienceCounts {
  /** Live dashboard connections (sockets). */
  viewers(): number;
  /** Distinct browsers or screens behind them. */
  sessions(): number;
}

/** Who is watching, as the realtime layer counts it. */
export function createAppSource(audience: AudienceCounts): Source<'app.viewers' | 'app.sessions'> {
  return {
    id: 'app',
    metrics: ['app.viewers', 'app.sessions'],
    collect: () => ({ 'app.viewers': audience.viewers(), 'app.sessions': audience.sessions() }),
  };
}
