import { errorMessage } from './api.ts';

export type LoadStatus = 'idle' | 'loading' | 'ready' | 'error';

/**
 * The loading, ready and error states of a store that reads from the API.
 * Stores extend it and wrap each read in `track`, so pages show the same
 * loading, empty and error states everywhere.
 */
export class LoadState {
  status = $state<LoadStatus>('idle');
  error = $state<string | null>(null);

  /** Runs one read; `what` completes "Could not … " in the error message ("loading the users"). */
  protected async track(what: string, read: () => Promise<void>): Promise<void> {
    this.status = 'loading';
    this.error = null;
    try {
      await read();
      this.status = 'ready';
    } catch (err) {
      this.error = errorMessage(err, what);
      this.status = 'error';
    }
  }
}
