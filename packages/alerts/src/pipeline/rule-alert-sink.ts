import { SYSTEM_PRINCIPAL } from '@gantry/identity';
import type { AlertIngest } from '../ingest/alert-ingest.ts';
import type { AlertSink } from '../rules/alert-sink.ts';

/** Gantry's own rules post through the same ingest as Prometheus, as Gantry itself, to the rule's team. */
export function ingestAlertSink(ingest: Pick<AlertIngest, 'ingest'>): AlertSink {
  return {
    async post(team, alerts) {
      if (alerts.length === 0) return;
      await ingest.ingest(
        { principal: SYSTEM_PRINCIPAL, source: 'alert-rules' },
        { team, source: 'gantry-rule', alerts },
      );
    },
  };
}
