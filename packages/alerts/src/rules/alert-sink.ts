/**
 * One alert as a rule evaluation hands it on: the Alertmanager API v2 `PostableAlert` shape, so the
 * same ingest path takes Gantry's own alerts and Prometheus's.
 */
export interface RuleAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  /** RFC 3339; when the alert started firing. */
  startsAt: string;
  /**
   * RFC 3339. Firing: evaluation time + 4 × the rule's interval, so the alert resolves by itself if the
   * evaluator stops sending; resolved: the time it resolved (in the past or now).
   */
  endsAt: string;
  /** Where the alert came from: the rule in Gantry's API. */
  generatorURL: string;
}

/**
 * Where evaluations post their alerts, per team: the server wires it onto the alert ingest. Firing
 * alerts are posted on every evaluation; resolved ones for 15 minutes after they resolved. A rejection
 * counts as a failed evaluation step and the same alerts are posted again on the next evaluation.
 */
export interface AlertSink {
  post(team: string, alerts: readonly RuleAlert[]): Promise<void>;
}

/** Keeps what was posted, for tests. */
export class MemoryAlertSink implements AlertSink {
  readonly posts: { team: string; alerts: RuleAlert[] }[] = [];
  failWith: Error | undefined;

  post(team: string, alerts: readonly RuleAlert[]): Promise<void> {
    if (this.failWith) return Promise.reject(this.failWith);
    this.posts.push({ team, alerts: [...alerts] });
    return Promise.resolve();
  }

  /** The alerts of the last post to `team`. */
  last(team: string): RuleAlert[] {
    return this.posts.findLast((post) => post.team === team)?.alerts ?? [];
  }

  clear(): void {
    this.posts.length = 0;
  }
}
