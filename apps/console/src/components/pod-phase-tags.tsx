import { Flex, Tag } from 'antd';
import { phaseColor, sortPhases } from '../lib/pod-phases';

/** Pod counts by phase: `Running 12`, `Pending 2`. */
export function PodPhaseTags({ pods }: { pods: Readonly<Record<string, number>> | undefined }) {
  const phases = sortPhases(Object.keys(pods ?? {})).filter((phase) => (pods?.[phase] ?? 0) > 0);
  if (phases.length === 0) return <span style={{ color: '#bfbfbf' }}>—</span>;
  return (
    <Flex gap={4} wrap>
      {phases.map((phase) => (
        <Tag key={phase} color={phaseColor(phase)} style={{ marginInlineEnd: 0 }}>
          {phase} {pods?.[phase]}
        </Tag>
      ))}
    </Flex>
  );
}
