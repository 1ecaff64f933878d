/**
 * Work that must finish before the process exits, registered by code loaded before the service
 * (the telemetry preload: spans still buffered must reach the collector) and run by the service's
 * own SIGTERM sequence, last, within what is left of `SHUTDOWN_TIMEOUT_MS`. `process.exit` does not
 * wait for asynchronous work, and an exit handler cannot do any, so the preload cannot flush alone.
 * The preload and `main.js` import this module by the same URL, so they share the one list.
 */
type Hook = () => Promise<void>;

const hooks: Hook[] = [];

export function onShutdown(hook: Hook): void {
  hooks.push(hook);
}

/** Runs every hook; resolves when all have finished or after `timeoutMs`, whichever comes first. Never rejects. */
export async function runShutdownHooks(timeoutMs: number): Promise<void> {
  if (hooks.length === 0) return;
  let timer: NodeJS.Timeout | undefined;
  const timeUp = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, Math.max(0, timeoutMs));
    timer.unref();
  });
  const all = Promise.allSettled(hooks.splice(0).map((hook) => hook())).then(() => undefined);
  await Promise.race([all, timeUp]);
  clearTimeout(timer);
}
