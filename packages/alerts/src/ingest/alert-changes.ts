import { ALERT_CHANNEL, type Store } from '@gantry/store';

/**
 * Wakes a reader of alert changes (the dispatcher): at once after every ingest this process commits
 * (`AlertRepository.onIngested`), and on PostgreSQL after any server's commit (NOTIFY on `gantry_alerts`).
 * `onChange` carries no data: the reader catches up with `store.alerts.changedSince(seq, limit)` from the
 * last sequence number it handled. It is also called once when the PostgreSQL listener (re)connects, for
 * what was written meanwhile. Returns the function that stops both.
 */
export async function watchAlertChanges(
  store: Pick<Store, 'alerts' | 'listenForChanges'>,
  onChange: () => void,
  onError: (error: unknown) => void,
): Promise<() => Promise<void>> {
  const stopLocal = store.alerts.onIngested(() => onChange());
  const stopRemote = await store.listenForChanges(onChange, onError, ALERT_CHANNEL);
  return async () => {
    stopLocal();
    await stopRemote();
  };
}
