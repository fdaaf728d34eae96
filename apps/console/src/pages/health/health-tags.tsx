import { Tag } from 'antd';
import type { ExceptionRecordState, ExceptionSeverity, FailureLevelName } from '@gantry/client';
import { levelColors, severityColors, stateColors } from '../../lib/health';

export function StateTag({ state }: { state: ExceptionRecordState }) {
  return (
    <Tag color={stateColors[state]} data-testid="exception-state">
      {state}
    </Tag>
  );
}

export function SeverityTag({ severity }: { severity: ExceptionSeverity }) {
  return <Tag color={severityColors[severity]}>{severity}</Tag>;
}

export function LevelTag({ level }: { level: FailureLevelName | undefined }) {
  if (!level) return <span style={{ color: '#bfbfbf' }}>—</span>;
  return (
    <Tag color={levelColors[level]} data-testid="exception-level">
      {level}
    </Tag>
  );
}

/** A risk's score: red from 80, orange from 50. */
export function ScoreTag({ score }: { score: number }) {
  return <Tag color={score >= 80 ? 'red' : score >= 50 ? 'orange' : 'default'}>{score}</Tag>;
}
