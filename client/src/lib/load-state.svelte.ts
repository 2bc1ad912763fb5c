import { errorMessage } from './api.ts';

export type LoadStatus = 'idle' | 'loading' | 'ready' | 'error';

/**
 * The loading, ready and error states of a store that reads from the API.
 * Stores extend it and wrap each read in `track`, so pages show the same
 * loading, empty and error states everywhere. A newer read supersedes an
 * older one: the older is aborted and its answer or failure ignored.
 */
export class LoadState {
  status = $state<LoadStatus>('idle');
  error = $state<string | null>(null);
  #abort: AbortController | null = null;

  /**
   * Runs one read; `what` completes "Something went wrong while … " ("loading the users").
   * `quiet`: the list on screen stays as it is meanwhile (no loading state).
   */
  protected async track(what: string, read: (signal: AbortSignal) => Promise<void>, { quiet = false } = {}): Promise<void> {
    this.#abort?.abort();
    const abort = (this.#abort = new AbortController());
    if (!quiet) this.status = 'loading';
    this.error = null;
    try {
      await read(abort.signal);
      if (abort.signal.aborted) return;
      this.status = 'ready';
    } catch (err) {
      if (abort.signal.aborted) return;
      this.error = errorMessage(err, what);
      this.status = 'error';
    }
  }

  /** Fails the state without asking the server (the selection itself is wrong). */
  protected fail(message: string): void {
    this.cancel();
    this.error = message;
    this.status = 'error';
  }

  /** Drops the read under way (the page closes, or its selection is gone). */
  cancel(): void {
    this.#abort?.abort();
    this.#abort = null;
  }
}
