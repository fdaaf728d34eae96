import { ALERT_CHANNEL, type AlertsIngested, type Store, type StoredAlert } from '@gantry/store';

/**
 * What a wake-up knows about the change it announces: `written` is a write this process committed, with
 * its rows in sequence order (`change.fromSeq..change.toSeq`, as `changedSince` would read them back);
 * `committed` is a PostgreSQL NOTIFY, any server's commit up to sequence number `toSeq`. Undefined when
 * nothing is known (the PostgreSQL listener (re)connected).
 */
export type AlertChange =
  | { kind: 'written'; change: AlertsIngested; alerts: readonly StoredAlert[] }
  | { kind: 'committed'; toSeq: number };

/**
 * Wakes a reader of alert changes (the dispatcher): at once after every ingest this process commits
 * (`AlertRepository.onIngested`, with the rows written), and on PostgreSQL after any server's commit
 * (NOTIFY on `gantry_alerts`, with its last sequence number). A reader that has handled everything before
 * a local write can take its rows as they are; otherwise it catches up with
 * `store.alerts.changedSince(seq, limit)` from the last sequence number it handled. `onChange` is also
 * called, without a change, when the PostgreSQL listener (re)connects, for what was written meanwhile.
 * Returns the function that stops both.
 */
export async function watchAlertChanges(
  store: Pick<Store, 'alerts' | 'listenForChanges'>,
  onChange: (change?: AlertChange) => void,
  onError: (error: unknown) => void,
): Promise<() => Promise<void>> {
  const stopLocal = store.alerts.onIngested((change, alerts) =>
    onChange({ kind: 'written', change, alerts }),
  );
  const stopRemote = await store.listenForChanges(
    (payload) => {
      const toSeq = payload === undefined ? Number.NaN : Number(payload);
      onChange(Number.isSafeInteger(toSeq) ? { kind: 'committed', toSeq } : undefined);
    },
    onError,
    ALERT_CHANNEL,
  );
  return async () => {
    stopLocal();
    await stopRemote();
  };
}
