import { SYSTEM_PRINCIPAL } from '@gantry/identity';
import type { AlertIngest } from '../ingest/alert-ingest.ts';

/** A host that went offline or came back, as the agent hub reports it (times in milliseconds). */
export interface HostAvailability {
  team: string;
  name: string;
  at: number;
}

/**
 * How long a HostOffline alert stays firing without news: a week. The hub reports the host's return
 * (which resolves it at once) from whichever server sees it; the bound only keeps an alert about a host
 * deleted while offline from firing for ever.
 */
const OFFLINE_ALERT_MS = 7 * 86_400_000;

/**
 * Gantry's alert about a host whose agent stopped heartbeating (`HostOffline`, labels `host` and
 * `severity: warning`), through the same ingest as every other alert: routed, grouped, silenced and
 * notified by the team's AlertRouting. Every server reports the transitions it sees; the same alert
 * posted twice is one record.
 */
export function hostAvailabilityAlerts(
  ingest: Pick<AlertIngest, 'ingest'>,
  onError: (error: unknown) => void,
): { offline(host: HostAvailability): void; online(host: HostAvailability): void } {
  const post = (host: HostAvailability, endsAt: number, startsAt?: number) =>
    void ingest
      .ingest(
        { principal: SYSTEM_PRINCIPAL, source: 'hosts' },
        {
          team: host.team,
          source: 'gantry-rule',
          alerts: [
            {
              labels: { alertname: 'HostOffline', host: host.name, severity: 'warning' },
              annotations: { summary: `host ${host.name} has sent no heartbeat; its agent is offline` },
              ...(startsAt !== undefined ? { startsAt: new Date(startsAt).toISOString() } : {}),
              endsAt: new Date(endsAt).toISOString(),
            },
          ],
        },
      )
      .catch(onError);
  return {
    offline: (host) => post(host, host.at + OFFLINE_ALERT_MS, host.at),
    online: (host) => post(host, host.at),
  };
}
