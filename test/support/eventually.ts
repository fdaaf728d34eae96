/**
 * Polls `read` until `done` holds or the deadline passes; the failure names what was last seen. For
 * state that another process or a background loop (controllers, leases) reaches in its own time.
 */
export async function eventually<T>(
  read: () => Promise<T>,
  done: (value: T) => boolean,
  deadlineMs = 10_000,
  intervalMs = 25,
): Promise<T> {
  const deadline = Date.now() + deadlineMs;
  let last = await read();
  while (!done(last)) {
    if (Date.now() > deadline)
      throw new Error(`not reached within ${deadlineMs} ms; last seen: ${JSON.stringify(last)}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
    last = await read();
  }
  return last;
}
