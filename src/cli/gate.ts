#!/usr/bin/env node
// The `gate` command: runs the CLI (main.js) as a child process with the same standard
// streams, and owns the signals. A signal must end gate within a short bound whatever the
// CLI is doing, and no process can do that for itself: Node cannot exit while a thread-pool
// read is stuck (a FIFO, a pipe), runs no handler during a long synchronous parse, and a
// renderer may ignore SIGTERM. This process does nothing else, so it always can.

import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { STOP_SIGNALS, SUPERVISED_ENV, exitCodeForSignal, parseRendererMessage, stopProcessGroups } from './supervision.js';

/** How long the CLI gets to end by the signal before it is killed (it ends at once unless its thread is busy). */
const CLI_GRACE_MS = 1000;
/** How long a renderer's process group gets between SIGTERM and SIGKILL. */
const RENDERER_GRACE_MS = 1000;
const EXIT_INCOMPLETE = 3;

const cli = spawn(process.execPath, [...process.execArgv, fileURLToPath(new URL('./main.js', import.meta.url)), ...process.argv.slice(2)], {
  stdio: ['inherit', 'inherit', 'inherit', 'ipc'],
  env: { ...process.env, [SUPERVISED_ENV]: '1' },
});

/** Process groups of the renderers running now, as the CLI reports them. */
const renderers = new Set<number>();
cli.on('message', (message: unknown) => {
  const report = parseRendererMessage(message);
  if (!report) return;
  if (report.running) renderers.add(report.renderer);
  else renderers.delete(report.renderer);
});

let stoppedBy: NodeJS.Signals | undefined;
let stopping: Promise<void> = Promise.resolve();
let force: NodeJS.Timeout | undefined;

/** The first signal stops the run; a second one is not needed and changes nothing. */
function stop(signal: NodeJS.Signals): void {
  if (stoppedBy) return;
  stoppedBy = signal;
  // Sent again even when it came to the whole process group: `kill PID` reaches this process only.
  cli.kill(signal);
  force = setTimeout(() => cli.kill('SIGKILL'), CLI_GRACE_MS);
  stopping = stopGroups();
}

function stopGroups(): Promise<void> {
  const groups = [...renderers];
  renderers.clear();
  return stopProcessGroups(groups, RENDERER_GRACE_MS);
}

for (const signal of STOP_SIGNALS) process.on(signal, () => stop(signal));

cli.on('error', (e: NodeJS.ErrnoException) => {
  process.stderr.write(`gate: cannot start ${process.execPath}: ${e.code ?? e.message}\n`);
  process.exit(EXIT_INCOMPLETE);
});

// 'close' comes after the last message of the IPC channel, so every renderer the CLI started is known.
cli.on('close', async (code: number | null, signal: NodeJS.Signals | null) => {
  clearTimeout(force);
  await stopping;
  // Renderers the CLI could not stop itself (it was killed): none may outlive gate.
  await stopGroups();
  const by = stoppedBy ?? signal ?? undefined;
  if (by) {
    // On a terminal, the line replaces a progress line the CLI may have left.
    const clear = process.stderr.isTTY && process.env.TERM !== 'dumb' ? '\r\u001b[2K' : '';
    process.stderr.write(`${clear}gate: stopped by ${by}\n`);
    process.exit(exitCodeForSignal(by));
  }
  process.exit(code ?? EXIT_INCOMPLETE);
});
