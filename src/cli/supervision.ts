// What the `gate` command (gate.ts) and the CLI it runs (main.ts) share about signals:
// which signals stop a run, its exit code, the message that names a renderer's process
// group, and how a group is stopped. Node built-ins only: gate.ts must start fast.

import { constants } from 'node:os';

/** Signals that stop a run: Argo CD's cmp-server (SIGTERM), Ctrl-C (SIGINT), a closed terminal (SIGHUP). */
export const STOP_SIGNALS = ['SIGTERM', 'SIGINT', 'SIGHUP'] as const;

/** Set by gate.ts in the environment of the CLI it runs; removed there at once, so no renderer sees it. */
export const SUPERVISED_ENV = 'GATE_SUPERVISED';

/** Sent by the CLI over the IPC channel when a renderer's process group starts and ends. */
export interface RendererMessage {
  renderer: number;
  running: boolean;
}

/** The conventional exit code of a run ended by `signal`: 128 + its number (143 for SIGTERM, 130 for SIGINT). */
export function exitCodeForSignal(signal: NodeJS.Signals): number {
  return 128 + (constants.signals[signal] ?? 0);
}

/**
 * A renderer message, or undefined for anything else. The pid must be a real process
 * group: kill(-1) would signal every process of the user, kill(-0) gate's own group.
 */
export function parseRendererMessage(message: unknown): RendererMessage | undefined {
  if (typeof message !== 'object' || message === null) return undefined;
  const { renderer, running } = message as Record<string, unknown>;
  if (typeof renderer !== 'number' || !Number.isSafeInteger(renderer) || renderer <= 1 || typeof running !== 'boolean') return undefined;
  return { renderer, running };
}

/**
 * SIGTERM to each process group, SIGKILL to those still there after `graceMs`: a renderer
 * that ignores SIGTERM, or a grandchild of it, must not outlive the run.
 */
export async function stopProcessGroups(groups: Iterable<number>, graceMs: number, pollMs = 50): Promise<void> {
  const alive = [...groups].filter((group) => group > 1 && signalGroup(group, 'SIGTERM'));
  const end = Date.now() + graceMs;
  while (alive.some((group) => signalGroup(group, 0)) && Date.now() < end) await new Promise((resolve) => setTimeout(resolve, pollMs));
  for (const group of alive) signalGroup(group, 'SIGKILL');
}

/** Whether the group still exists (a member that has exited but is not yet reaped counts). */
function signalGroup(group: number, signal: NodeJS.Signals | 0): boolean {
  try {
    process.kill(-group, signal);
    return true;
  } catch {
    return false;
  }
}
