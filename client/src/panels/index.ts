import type { PanelDef } from './types.ts';
import { panel as cpu } from './cpu/definition.ts';
import { panel as memory } from './memory/definition.ts';
import { panel as disk } from './disk/definition.ts';
import { panel as network } from './network/definition.ts';
import { panel as dbResponse } from './db-response/definition.ts';
import { panel as dbConnections } from './db-connections/definition.ts';
import { panel as sessions } from './sessions/definition.ts';
import { panel as load } from './load/definition.ts';
import { panel as serverHealth } from './server-health/definition.ts';

/** The dashboard's cards, in reading order. */
export const DASHBOARD_PANELS: readonly PanelDef[] = [
  cpu,
  memory,
  disk,
  network,
  load,
  dbResponse,
  dbConnections,
  sessions,
  serverHealth,
];
