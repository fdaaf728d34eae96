import { PauseCircleOutlined, PlayCircleOutlined, VerticalAlignBottomOutlined } from '@ant-design/icons';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { App, Button } from 'antd';
import { useState } from 'react';
import type { DrainReport, InventoryNode } from '@gantry/client';
import { setNodeCordoned, type NodeRef } from '../../api/node-operations';
import { inventoryNodeKey } from '../../hooks/use-inventory-node';
import { DrainModal } from './drain-modal';

/**
 * Cordon, Uncordon and Drain. Each answers at once; the node's state shown on the page is the
 * inventory's, which follows within seconds.
 */
export function NodeActions({
  nodeRef,
  node,
  onDrained,
  onError,
}: {
  nodeRef: NodeRef;
  node: InventoryNode;
  onDrained: (report: DrainReport) => void;
  onError: (error: unknown) => void;
}) {
  const queryClient = useQueryClient();
  const { message } = App.useApp();
  const [draining, setDraining] = useState(false);

  const refresh = () =>
    Promise.all([
      queryClient.invalidateQueries({ queryKey: inventoryNodeKey(nodeRef) }),
      queryClient.invalidateQueries({ queryKey: ['inventory', 'nodes'] }),
    ]);

  const cordon = useMutation({
    mutationFn: (cordoned: boolean) => setNodeCordoned(nodeRef, cordoned),
    onMutate: () => onError(null),
    onSuccess: async (result) => {
      void message.success(`${result.node} ${result.unschedulable ? 'cordoned' : 'uncordoned'}`);
      await refresh();
    },
    onError,
  });

  return (
    <>
      <Button
        icon={<PauseCircleOutlined />}
        disabled={node.unschedulable}
        loading={cordon.isPending && cordon.variables}
        onClick={() => cordon.mutate(true)}
      >
        Cordon
      </Button>
      <Button
        icon={<PlayCircleOutlined />}
        disabled={!node.unschedulable}
        loading={cordon.isPending && !cordon.variables}
        onClick={() => cordon.mutate(false)}
      >
        Uncordon
      </Button>
      <Button danger icon={<VerticalAlignBottomOutlined />} onClick={() => setDraining(true)}>
        Drain
      </Button>
      <DrainModal
        nodeRef={nodeRef}
        open={draining}
        onClose={() => setDraining(false)}
        onDrained={(report) => {
          setDraining(false);
          onDrained(report);
          void refresh();
        }}
      />
    </>
  );
}
