import type { Migration } from 'kysely';
import type { Dialect } from '../dialect.ts';
import { initial } from './0001-initial.ts';
import { fleet } from './0002-fleet.ts';
import { delivery } from './0003-delivery.ts';
import { appliedObjectClaims } from './0004-applied-object-claims.ts';
import { gantryEvents } from './0005-gantry-events.ts';
import { loginThrottle } from './0006-login-throttle.ts';
import { alerts } from './0007-alerts.ts';
import { alertDispatch } from './0010-alert-dispatch.ts';
import { alertRuleState } from './0009-alert-rule-state.ts';
import { notifications } from './0008-notifications.ts';
import { jobs } from './0012-jobs.ts';
import { hosts } from './0011-hosts.ts';
import { healthExceptions } from './0013-health-exceptions.ts';
import { healthCorrelation } from './0014-health-correlation.ts';
import { healthRisks } from './0015-health-risks.ts';
import { notificationClaimIndex } from './0018-notification-claim-index.ts';
import { jobRunHosts } from './0019-job-run-hosts.ts';
import { changes } from './0022-changes.ts';
import { healthStreamIndexes } from './0023-health-stream-indexes.ts';
import { idempotencyKeys } from './0025-idempotency-keys.ts';
import { disruptionHolds } from './0026-disruption-holds.ts';
import { healingRuns } from './0027-healing-runs.ts';
import { disruptionBudgetEpochs } from './0029-disruption-budget-epochs.ts';
import { alertJournal } from './0030-alert-journal.ts';
import { alertEndsTimeout } from './0031-alert-ends-timeout.ts';

/** Every migration, by name; names sort in the order they run. Never edit one that has shipped. */
export function migrations(dialect: Dialect): Record<string, Migration> {
  return {
    '0001-initial': initial(dialect),
    '0002-fleet': fleet(dialect),
    '0003-delivery': delivery(),
    '0004-applied-object-claims': appliedObjectClaims(),
    '0005-gantry-events': gantryEvents(),
    '0006-login-throttle': loginThrottle(),
    '0007-alerts': alerts(),
    '0010-alert-dispatch': alertDispatch(),
    '0009-alert-rule-state': alertRuleState(),
    '0008-notifications': notifications(dialect),
    '0012-jobs': jobs(dialect),
    '0011-hosts': hosts(dialect),
    '0013-health-exceptions': healthExceptions(dialect),
    '0014-health-correlation': healthCorrelation(),
    '0015-health-risks': healthRisks(dialect),
    '0018-notification-claim-index': notificationClaimIndex(),
    '0019-job-run-hosts': jobRunHosts(),
    '0022-changes': changes(dialect),
    '0023-health-stream-indexes': healthStreamIndexes(),
    '0025-idempotency-keys': idempotencyKeys(),
    '0026-disruption-holds': disruptionHolds(),
    '0027-healing-runs': healingRuns(dialect),
    '0029-disruption-budget-epochs': disruptionBudgetEpochs(),
    '0030-alert-journal': alertJournal(),
    '0031-alert-ends-timeout': alertEndsTimeout(),
  };
}
