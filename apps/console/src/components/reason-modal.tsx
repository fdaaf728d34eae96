import { useMutation } from '@tanstack/react-query';
import { Form, Input, Modal, type ButtonProps } from 'antd';
import { ErrorAlert } from './error-alert';

/**
 * Asks why before an act on changes (pause, resume, abort, stop or release the line): the reason is
 * required and recorded with who. `act` is called with it; the modal closes when it succeeds.
 */
export function ReasonModal({
  title,
  okText,
  danger = false,
  open,
  act,
  onClose,
  onDone,
}: {
  title: string;
  okText: string;
  danger?: boolean;
  open: boolean;
  act: (reason: string) => Promise<unknown>;
  onClose: () => void;
  onDone: () => void;
}) {
  const [form] = Form.useForm<{ reason: string }>();
  const mutation = useMutation({
    mutationFn: (reason: string) => act(reason),
    onSuccess: () => {
      form.resetFields();
      onDone();
    },
  });
  return (
    <Modal
      title={title}
      open={open}
      okText={okText}
      okButtonProps={{ danger, 'data-testid': 'reason-submit' } as ButtonProps}
      confirmLoading={mutation.isPending}
      onOk={() => form.submit()}
      onCancel={() => {
        if (mutation.isPending) return;
        mutation.reset();
        onClose();
      }}
      destroyOnHidden
    >
      <ErrorAlert error={mutation.error} style={{ marginBottom: 16 }} />
      <Form form={form} layout="vertical" onFinish={(values) => mutation.mutate(values.reason.trim())}>
        <Form.Item
          name="reason"
          label="Reason"
          rules={[{ required: true, whitespace: true, message: 'Say why: it is recorded with your name.' }]}
          style={{ marginBottom: 0 }}
        >
          <Input.TextArea autoFocus rows={3} maxLength={1000} data-testid="reason-input" />
        </Form.Item>
      </Form>
    </Modal>
  );
}
