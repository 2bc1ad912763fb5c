/**
 * The wall screen's audible alarm: two short beeps every two seconds (Web
 * Audio oscillators, no sound file) while an unacknowledged CRITICAL alert is
 * open and the display's settings ask for sound. Off by default.
 *
 * Browsers refuse audio until someone interacts with the page (autoplay
 * policy). A wall screen nobody touches then shows a hint to click once;
 * Chromium started with `--autoplay-policy=no-user-gesture-required` (the
 * recommended kiosk launch) plays at once.
 */

/** - off: sound not wanted · armed: ready, silent · playing: beeping · blocked: the browser refuses audio for now */
export type AlarmState = 'off' | 'armed' | 'playing' | 'blocked';

const BEEP_EVERY_MS = 2_000;
const BEEP = { hz: 880, seconds: 0.18, gapSeconds: 0.12, gain: 0.25 };
/** How long a resume() may stay pending before we call the audio blocked. */
const RESUME_WAIT_MS = 400;

type AudioContextClass = typeof AudioContext;

class KioskAlarm {
  state = $state<AlarmState>('off');
  #ctx: AudioContext | null = null;
  #enabled = false;
  #sounding = false;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #unlock = () => void this.#resume();

  /** Whether this display wants sound at all (settings.sound). */
  enable(enabled: boolean): void {
    if (enabled === this.#enabled) return;
    this.#enabled = enabled;
    if (enabled) {
      void this.#resume(); // says armed or blocked once the browser answered
    } else {
      this.#silence();
      this.#update();
    }
  }

  /** Whether something should sound now (an unacknowledged CRITICAL alert is open). */
  sound(on: boolean): void {
    if (on === this.#sounding) return;
    this.#sounding = on;
    this.#update();
  }

  dispose(): void {
    this.#silence();
    this.#listenForGesture(false);
    this.#enabled = false;
    this.#sounding = false;
    void this.#ctx?.close().catch(() => {});
    this.#ctx = null;
    this.state = 'off';
  }

  #update(): void {
    if (!this.#enabled) {
      this.state = 'off';
      return;
    }
    if (!this.#ctx) return; // still asking the browser
    if (this.#ctx.state !== 'running') {
      this.state = 'blocked';
      this.#silence();
      return;
    }
    this.state = this.#sounding ? 'playing' : 'armed';
    if (this.#sounding && this.#timer === undefined) this.#beepLoop();
    if (!this.#sounding) this.#silence();
  }

  /** Creates or wakes the audio context; without permission it stays suspended until a click or key. */
  async #resume(): Promise<void> {
    const Ctx: AudioContextClass | undefined =
      window.AudioContext ?? (window as unknown as { webkitAudioContext?: AudioContextClass }).webkitAudioContext;
    if (!Ctx) {
      console.warn('glasswatch: no Web Audio in this browser; the alarm stays silent');
      return;
    }
    if (!this.#ctx) {
      this.#ctx = new Ctx();
      this.#ctx.addEventListener('statechange', () => this.#update());
    }
    if (this.#ctx.state !== 'running') {
      // Pending forever without a user gesture: do not wait on it.
      await Promise.race([this.#ctx.resume().catch(() => {}), new Promise((r) => setTimeout(r, RESUME_WAIT_MS))]);
    }
    this.#listenForGesture(this.#ctx?.state !== 'running');
    this.#update();
  }

  /** Blocked: the next click or key anywhere is the gesture the browser waits for. */
  #listenForGesture(on: boolean): void {
    for (const type of ['pointerdown', 'keydown'] as const) {
      if (on) window.addEventListener(type, this.#unlock, true);
      else window.removeEventListener(type, this.#unlock, true);
    }
  }

  #beepLoop(): void {
    const ctx = this.#ctx;
    if (!ctx || ctx.state !== 'running' || !this.#sounding) {
      this.#timer = undefined;
      return;
    }
    const t0 = ctx.currentTime + 0.02;
    for (let i = 0; i < 2; i++) this.#beep(ctx, t0 + i * (BEEP.seconds + BEEP.gapSeconds));
    this.#timer = setTimeout(() => this.#beepLoop(), BEEP_EVERY_MS);
  }

  #beep(ctx: AudioContext, at: number): void {
    const osc = ctx.createOscillator();
    const gain = ctx.createGain();
    osc.type = 'square';
    osc.frequency.value = BEEP.hz;
    // A short ramp in and out: no clicks.
    gain.gain.setValueAtTime(0, at);
    gain.gain.linearRampToValueAtTime(BEEP.gain, at + 0.01);
    gain.gain.setValueAtTime(BEEP.gain, at + BEEP.seconds - 0.02);
    gain.gain.linearRampToValueAtTime(0, at + BEEP.seconds);
    osc.connect(gain).connect(ctx.destination);
    osc.onended = () => {
      osc.disconnect();
      gain.disconnect();
    };
    osc.start(at);
    osc.stop(at + BEEP.seconds);
  }

  #silence(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}

export const alarm = new KioskAlarm();
