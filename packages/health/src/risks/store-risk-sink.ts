import type { RiskRepository, WriteFence } from '@gantry/store';
import type { RiskObservation, RiskSink, RiskSource } from '../ports.ts';

/**
 * The `RiskSink` over the risk records: level-triggered. Each call is everything the source's check sees
 * now: unseen keys open, seen ones update (score, title, entities, details, last seen), open ones of the
 * source and check that are not in the call close as `gone`. Safe from several servers at once (one
 * open row per source, check and key; see RiskRepository.observe).
 */
export class StoreRiskSink implements RiskSink {
  constructor(private readonly risks: Pick<RiskRepository, 'observe'>) {}

  async observe(
    source: RiskSource,
    observations: RiskObservation[],
    at: Date,
    fence?: WriteFence,
  ): Promise<void> {
    await this.risks.observe(
      {
        team: source.team,
        kind: source.kind,
        name: source.name,
        check: source.check,
        ...(source.runId ? { runId: source.runId } : {}),
      },
      observations,
      at.toISOString(),
      fence,
    );
  }
}
