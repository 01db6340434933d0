// Signals end a run promptly, whatever it is waiting for: the real `gate` command is
// started as a child process and signalled while it waits on a lookaside that never
// answers, reads a stdin that never ends, is busy parsing a huge manifest, or (under an
// emulation of Argo CD's cmp-server) runs a fake renderer that never finishes and ignores
// SIGTERM. Each time: exit 128+signal, one line on stderr, nothing on stdout, no process
// left behind, and well within Argo CD's 5 s between its SIGTERM and its SIGKILL.

import assert from 'node:assert/strict';
import { storePolicy } from '../helpers/repo.js';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { argoEnv, cmpWorkdir } from '../helpers/argocd.js';
import { startGate, type StartedGate } from '../helpers/gate.js';
import { GpgHome } from '../helpers/gpg.js';
import { copyExample } from '../helpers/in-process.js';
import { childrenOf, cpuSeconds, isRunning, liveGroupMembers, waitFor } from '../helpers/processes.js';
import { silentServer, type TestServer } from '../helpers/servers.js';

/** Generous: gate itself gives the CLI and each renderer 1 s before SIGKILL. */
const EXIT_BOUND_S = 5;
const SLOW = `registry.example.com/shop/slow@sha256:${'a'.repeat(64)}`;

/** Sends `signal` (to the process, or to its whole process group as cmp-server does) and waits for the exit. */
async function signalAndWait(gate: StartedGate, signal: NodeJS.Signals, target: 'process' | 'group' = 'process') {
  const pid = gate.child.pid!;
  const sent = Date.now();
  if (target === 'group') process.kill(-pid, signal);
  else process.kill(pid, signal);
  const exit = await gate.exited;
  return { ...exit, seconds: (Date.now() - sent) / 1000 };
}

function assertStopped(exit: Awaited<ReturnType<typeof signalAndWait>>, signal: 'SIGTERM' | 'SIGINT', code: number): void {
  assert.equal(exit.code, code, `exit code (signal ${exit.signal}); stderr: ${exit.stderr}`);
  assert.equal(exit.stderr.trimEnd().split('\n').at(-1), `gate: stopped by ${signal}`, exit.stderr);
  assert.equal(exit.stderr.match(/stopped by/g)?.length, 1, 'said once');
  assert.equal(exit.stdout.length, 0, `nothing on stdout: ${exit.stdout.toString('utf8').slice(0, 200)}`);
  assert.ok(exit.seconds < EXIT_BOUND_S, `ended within ${EXIT_BOUND_S} s of the signal (took ${exit.seconds} s)`);
}

describe('signals end a run promptly (the real gate command, real processes)', () => {
  let silent: TestServer;
  let example: { dir: string; dispose(): Promise<void> };

  before(async () => {
    silent = await silentServer();
    example = await copyExample('shop');
    await writeFile(path.join(example.dir, '.gate/policies/slow.yaml'), storePolicy('slow', 'registry.example.com/shop/slow@*', silent.url));
    await writeFile(path.join(example.dir, 'apps/slow.yaml'), `apiVersion: v1\nkind: Pod\nmetadata: {name: slow, namespace: shop}\nspec:\n  containers: [{name: s, image: "${SLOW}"}]\n`);
  });
  after(async () => {
    await silent?.close();
    await example?.dispose();
  });

  for (const [signal, code] of [['SIGTERM', 143], ['SIGINT', 130]] as const) {
    it(`${signal} while a lookaside never answers: exit ${code}, "gate: stopped by ${signal}"`, async () => {
      const asked = silent.requests.length;
      const gate = startGate(['check', 'apps', '--timeout', '60'], { cwd: example.dir });
      await waitFor(() => silent.requests.length > asked || gate.child.exitCode !== null, 'gate to ask the lookaside');
      assertStopped(await signalAndWait(gate, signal), signal, code);
    });
  }

  it('SIGTERM while reading a stdin that never ends: exit 143', async () => {
    const gate = startGate(['check', '-', '--gate-dir', '.gate'], { cwd: example.dir });
    // More than a pipe holds: the write completes only once gate has read most of it.
    const padding = '# padding\n'.repeat(100_000);
    await new Promise<void>((resolve, reject) => gate.child.stdin!.write(padding, (e) => (e ? reject(e) : resolve())));
    assertStopped(await signalAndWait(gate, 'SIGTERM'), 'SIGTERM', 143);
  });

  it('SIGTERM while the CLI is busy parsing a 30 MB manifest (no handler can run in it): exit 143', async () => {
    // Documents of about 1.2 kB with many keys, so that 30 MB stay under the per-file document limit and take a while to parse.
    const labels = Array.from({ length: 40 }, (_, k) => `    label-${k}: value-${k}`).join('\n');
    const doc = (i: number) => `apiVersion: v1\nkind: Pod\nmetadata:\n  name: p${i}\n  namespace: shop\n  labels:\n${labels}\nspec:\n  containers: [{name: c, image: "registry.example.com/shop/web:1.4"}]\n---\n`;
    const docs: string[] = [];
    for (let i = 0, size = 0; size < 30 * 1024 * 1024; i++) {
      docs.push(doc(i));
      size += docs[i].length;
    }
    const big = path.join(example.dir, 'big.yaml');
    await writeFile(big, docs.join(''));
    try {
      const gate = startGate(['check', 'big.yaml', '--offline'], { cwd: example.dir });
      // The CLI is the child of the gate command; 0.8 s of its CPU is past start-up and reading, into the parse.
      let cli: number | undefined;
      await waitFor(() => {
        cli ??= childrenOf(gate.child.pid!)[0];
        return (cli !== undefined && cpuSeconds(cli) >= 0.8) || gate.child.exitCode !== null;
      }, 'the CLI to be busy parsing');
      assert.equal(gate.child.exitCode, null, `still parsing when signalled: ${gate.stderr()}`);
      assertStopped(await signalAndWait(gate, 'SIGTERM'), 'SIGTERM', 143);
      assert.ok(cli !== undefined && !isRunning(cli), 'the CLI is gone too');
    } finally {
      await rm(big, { force: true });
    }
  });
});

describe('gate generate stopped by cmp-server (cmp-server emulated, fake renderer)', () => {
  let gpg: GpgHome;
  let fingerprint: string;

  before(async () => {
    gpg = await GpgHome.create();
    fingerprint = await gpg.generateKey('Release <release@example.com>');
  });
  after(() => gpg?.dispose());

  it('SIGTERM to the process group while a fake renderer that ignores SIGTERM never finishes: exit 143, nothing on stdout, the renderer\'s group killed', async () => {
    const bin = await mkdtemp(path.join(tmpdir(), 'gate-stuck-kustomize-'));
    const pidFile = path.join(bin, 'renderer.pid');
    // A renderer that ignores SIGTERM, with a child of its own (that inherits the ignoring).
    await writeFile(path.join(bin, 'kustomize'), `#!/bin/sh\ntrap '' TERM\nsleep 300 &\necho $$ > "${pidFile}.tmp" && mv "${pidFile}.tmp" "${pidFile}"\nwait\n`);
    await chmod(path.join(bin, 'kustomize'), 0o755);
    const workdir = await cmpWorkdir(gpg, fingerprint, 'kustomize', 'overlay');
    let renderer: number | undefined;
    try {
      const env = { ...argoEnv(workdir.sourcePath), GATE_CACHE_DIR: path.join(path.dirname(workdir.root), 'cache'), PATH: `${bin}:${process.env.PATH}` };
      const gate = startGate(['generate'], { cwd: workdir.appDir, env, detached: true });
      await waitFor(async () => (await readFile(pidFile, 'utf8').catch(() => '')) !== '' || gate.child.exitCode !== null, 'the renderer to start');
      renderer = Number(await readFile(pidFile, 'utf8'));
      assert.ok(liveGroupMembers(renderer).length >= 2, 'the renderer and its child run in their own group');
      const exit = await signalAndWait(gate, 'SIGTERM', 'group');
      assertStopped(exit, 'SIGTERM', 143);
      assert.deepEqual(liveGroupMembers(renderer), [], 'no process of the renderer\'s group is left');
    } finally {
      if (renderer !== undefined && liveGroupMembers(renderer).length > 0) process.kill(-renderer, 'SIGKILL');
      await workdir.dispose();
      await rm(bin, { recursive: true, force: true });
    }
  });
});
