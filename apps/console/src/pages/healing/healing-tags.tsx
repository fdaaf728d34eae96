import { Tag } from 'antd';
import type { HealingRunSummary } from '@gantry/client';
import { healingPhaseColors } from '../../lib/healing';

export function HealingPhaseTag({ phase }: { phase: HealingRunSummary['phase'] }) {
  return (
    <Tag color={healingPhaseColors[phase]} data-testid="healing-phase">
      {phase}
    </Tag>
  );
}
