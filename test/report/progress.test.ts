// The progress line: drawn only on a terminal and only once the run has lasted a second,
// redrawn in place, erased at the end. Timers are injected: the test moves the clock.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TerminalProgress, type Scheduler } from '../../src/report/progress.js';
import { checkAt, copyExample, recordingProgress } from '../helpers/in-process.js';

/** Timers that fire only when the test advances the clock. */
class ManualScheduler implements Scheduler {
  private now = 0;
  private timers: Array<{ at: number; every?: number; fn: () => void; cancelled: boolean }> = [];

  after(ms: number, fn: () => void): () => void {
    const timer = { at: this.now + ms, fn, cancelled: false };
    this.timers.push(timer);
    return () => (timer.cancelled = true);
  }

  every(ms: number, fn: () => void): () => void {
    const timer = { at: this.now + ms, every: ms, fn, cancelled: false };
    this.timers.push(timer);
    return () => (timer.cancelled = true);
  }

  advance(ms: number): void {
    const end = this.now + ms;
    for (;;) {
      const due = this.timers.filter((t) => !t.cancelled && t.at <= end).sort((a, b) => a.at - b.at)[0];
      if (!due) break;
      this.now = due.at;
      if (due.every) due.at += due.every;
      else due.cancelled = true;
      due.fn();
    }
    this.now = end;
  }

  get pending(): number {
    return this.timers.filter((t) => !t.cancelled).length;
  }
}

function terminal(isTTY: boolean): { isTTY: boolean; written: string[]; write(text: string): void } {
  const written: string[] = [];
  return { isTTY, written, write: (text) => void written.push(text) };
}

describe('progress on stderr', () => {
  it('says nothing during the first second', () => {
    const clock = new ManualScheduler();
    const out = terminal(true);
    const progress = new TerminalProgress(out, clock);
    progress.start(5);
    progress.decided();
    clock.advance(999);
    assert.deepEqual(out.written, []);
    progress.stop();
    assert.deepEqual(out.written, [], 'a run shorter than a second leaves no trace, not even an erase');
    assert.equal(clock.pending, 0, 'no timer outlives the run');
  });

  it('after a second draws images decided and tags resolved, redraws in place, and erases itself at the end', () => {
    const clock = new ManualScheduler();
    const out = terminal(true);
    const progress = new TerminalProgress(out, clock);
    progress.start(4);
    progress.tagResolved();
    progress.decided();
    clock.advance(1000);
    assert.equal(out.written.length, 1);
    assert.match(out.written[0], /^\r\u001b\[2K/, 'each draw returns to the start of the line and clears it');
    assert.match(out.written[0], /1\/4 images decided, 1 tag\(s\) resolved/);
    assert.doesNotMatch(out.written[0], /\n/, 'never a new line: the line is redrawn');

    clock.advance(500);
    assert.equal(out.written.length, 1, 'nothing changed, nothing redrawn');
    progress.tagResolved();
    progress.decided();
    progress.decided();
    clock.advance(100);
    assert.equal(out.written.length, 2);
    assert.match(out.written.at(-1)!, /3\/4 images decided, 2 tag\(s\) resolved/);

    progress.stop();
    assert.equal(out.written.at(-1), '\r\u001b[2K', 'the last write erases the line');
    const count = out.written.length;
    clock.advance(5000);
    assert.equal(out.written.length, count, 'nothing is drawn after stop');
    assert.equal(clock.pending, 0);
  });

  it('never writes when stderr is not a terminal (CI logs, Argo CD)', () => {
    const clock = new ManualScheduler();
    const out = terminal(false);
    const progress = new TerminalProgress(out, clock);
    progress.start(3);
    progress.tagResolved();
    clock.advance(10_000);
    progress.decided();
    progress.stop();
    assert.deepEqual(out.written, []);
    assert.equal(clock.pending, 0);
  });

  it('gate check tells the listener how many images there are, each decision, and the end', async () => {
    const example = await copyExample('shop');
    try {
      const { events, listener } = recordingProgress();
      const report = await checkAt(new Date(), example.dir, { paths: ['.'] }, listener);
      const images = report.results.length;
      assert.ok(images > 0);
      assert.deepEqual(events, [`start ${images}`, ...Array<string>(images).fill('decided'), 'stop']);
    } finally {
      await example.dispose();
    }
  });
});
