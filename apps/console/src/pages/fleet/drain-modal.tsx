import { useMutation } from '@tanstack/react-query';
import { Alert, Checkbox, Form, InputNumber, Modal } from 'antd';
import type { DrainReport } from '@gantry/client';
import { drainNode, type DrainOptions, type NodeRef } from '../../api/node-operations';
import { ErrorAlert } from '../../components/error-alert';

/** Asks before draining, with the timeout and whether unmanaged pods may go too. */
export function DrainModal({
  nodeRef,
  open,
  onClose,
  onDrained,
}: {
  nodeRef: NodeRef;
  open: boolean;
  onClose: () => void;
  onDrained: (report: DrainReport) => void;
}) {
  const [form] = Form.useForm<DrainOptions>();
  const drain = useMutation({
    mutationFn: (options: DrainOptions) => drainNode(nodeRef, options),
    onSuccess: onDrained,
  });
  return (
    <Modal
      title={`Drain ${nodeRef.node}?`}
      open={open}
      okText="Drain"
      okButtonProps={{ danger: true }}
      confirmLoading={drain.isPending}
      onOk={() => form.submit()}
      onCancel={() => {
        if (drain.isPending) return;
        drain.reset();
        onClose();
      }}
      destroyOnHidden
    >
      <Alert
        type="warning"
        showIcon
        style={{ marginBottom: 16 }}
        title="The node is cordoned, then its pods are evicted."
        description="Evictions respect PodDisruptionBudgets; DaemonSet and mirror pods stay. The answer comes when the drain is done or the timeout has passed."
      />
      <ErrorAlert error={drain.error} style={{ marginBottom: 16 }} />
      <Form<DrainOptions>
        form={form}
        layout="vertical"
        initialValues={{ timeoutSeconds: 300, force: false }}
        onFinish={(values) => drain.mutate(values)}
      >
        <Form.Item
          name="timeoutSeconds"
          label="Timeout (seconds)"
          rules={[{ required: true, message: 'How long may the drain wait?' }]}
          extra="Pods a PodDisruptionBudget still protects by then are reported as remaining."
        >
          <InputNumber min={1} max={3600} style={{ width: 160 }} aria-label="Timeout (seconds)" />
        </Form.Item>
        <Form.Item name="force" valuePropName="checked" style={{ marginBottom: 0 }}>
          <Checkbox>Force: also evict pods no controller manages (they will not come back)</Checkbox>
        </Form.Item>
      </Form>
    </Modal>
  );
}
