import type { DaemonProcess, LogLine, World } from '../e2e/harness.js';

/** `status --json` as the contract describes it (the fields these tests read). */
export interface StatusDoc {
  daemon: { running: boolean; pid?: number };
  counts: Record<string, number>;
  items: {
    id: string;
    state: string;
    source: string;
    attempts: number;
    nextAttemptAt?: string;
    lastError?: { code: string; message: string };
  }[];
}

export async function status(world: World): Promise<StatusDoc> {
  const r = await world.cli('status', '--json');
  if (r.code !== 0) throw new Error(`status failed (${r.code}): ${r.stderr}`);
  return JSON.parse(r.stdout) as StatusDoc;
}

export const isAction =
  (action: string) =>
  (l: LogLine): boolean =>
    l.event?.action === action;

export const started = isAction('daemon.started');

/** Starts the daemon and waits for its `daemon.started` line. */
export async function startDaemon(world: World, env?: NodeJS.ProcessEnv): Promise<DaemonProcess> {
  const d = world.start(env);
  await d.waitForLine(started, 'daemon.started');
  return d;
}

/** SIGTERM and the contract's clean exit. */
export async function stopDaemon(d: DaemonProcess): Promise<number | string> {
  d.proc.kill('SIGTERM');
  return d.exited;
}

/** Headers `X-IMSpooler-Item-Id` of every delivered copy. */
export async function deliveredHeaders(world: World): Promise<string[]> {
  return (await world.delivered()).map((d) => d.itemHeader);
}
