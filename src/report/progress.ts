// A progress line on stderr for a person waiting at a terminal: shown only when stderr
// is a terminal and the run has lasted a second, redrawn in place, erased at the end.
// Never in CI logs or under Argo CD (not terminals), so their output stays clean.

/** What the run reports as it goes (commands/check.ts and the Decider call these). */
export interface ProgressListener {
  start(images: number): void;
  tagResolved(): void;
  decided(): void;
  stop(): void;
}

export interface Terminal {
  isTTY: boolean;
  write(text: string): void;
}

/** Timers, injected so that tests need not wait. Each returns a function that cancels it. */
export interface Scheduler {
  after(ms: number, fn: () => void): () => void;
  every(ms: number, fn: () => void): () => void;
}

export const realScheduler: Scheduler = {
  after(ms, fn) {
    const timer = setTimeout(fn, ms).unref();
    return () => clearTimeout(timer);
  },
  every(ms, fn) {
    const timer = setInterval(fn, ms).unref();
    return () => clearInterval(timer);
  },
};

const DELAY_MS = 1000;
const REDRAW_MS = 100;
const CLEAR_LINE = '\r\u001b[2K';

export class TerminalProgress implements ProgressListener {
  private images = 0;
  private tags = 0;
  private done = 0;
  /** The line on screen ('' when none): redrawn only when it changes. */
  private line = '';
  private cancel: Array<() => void> = [];

  constructor(
    private readonly terminal: Terminal,
    private readonly scheduler: Scheduler = realScheduler,
  ) {}

  start(images: number): void {
    this.images = images;
    if (!this.terminal.isTTY) return;
    this.cancel.push(
      this.scheduler.after(DELAY_MS, () => {
        this.draw();
        this.cancel.push(this.scheduler.every(REDRAW_MS, () => this.draw()));
      }),
    );
  }

  tagResolved(): void {
    this.tags++;
  }

  decided(): void {
    this.done++;
  }

  stop(): void {
    for (const cancel of this.cancel) cancel();
    this.cancel = [];
    if (this.line !== '') this.terminal.write(CLEAR_LINE);
    this.line = '';
  }

  private draw(): void {
    const line = `gate: ${this.done}/${this.images} images decided, ${this.tags} tag(s) resolved …`;
    if (line === this.line) return;
    this.line = line;
    this.terminal.write(`${CLEAR_LINE}${line}`);
  }
}
