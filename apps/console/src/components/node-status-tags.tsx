import { Flex, Tag } from 'antd';

/** Ready or NotReady, and SchedulingDisabled for a cordoned node, as kubectl shows them. */
export function NodeStatusTags({ ready, unschedulable }: { ready: boolean; unschedulable: boolean }) {
  return (
    <Flex gap={4} wrap data-testid="node-status">
      <Tag color={ready ? 'success' : 'error'} style={{ marginInlineEnd: 0 }}>
        {ready ? 'Ready' : 'NotReady'}
      </Tag>
      {unschedulable && (
        <Tag color="warning" style={{ marginInlineEnd: 0 }}>
          SchedulingDisabled
        </Tag>
      )}
    </Flex>
  );
}
