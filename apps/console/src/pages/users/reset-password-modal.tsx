import { useMutation } from '@tanstack/react-query';
import { Form, Input, Modal } from 'antd';
import { updateUser } from '../../api/users';
import { ErrorAlert } from '../../components/error-alert';

export function ResetPasswordModal({
  username,
  onClose,
  onDone,
}: {
  username: string | null;
  onClose: () => void;
  onDone: () => void;
}) {
  const [form] = Form.useForm<{ password: string }>();
  const reset = useMutation({
    mutationFn: (password: string) => updateUser(username ?? '', { password }),
    onSuccess: () => {
      form.resetFields();
      onDone();
    },
  });
  return (
    <Modal
      title={`Reset password of ${username ?? ''}`}
      open={username !== null}
      okText="Set password"
      confirmLoading={reset.isPending}
      onOk={() => form.submit()}
      onCancel={() => {
        reset.reset();
        onClose();
      }}
      destroyOnHidden
    >
      <ErrorAlert error={reset.error} style={{ marginBottom: 16 }} />
      <Form form={form} layout="vertical" onFinish={(values) => reset.mutate(values.password)}>
        <Form.Item
          name="password"
          label="New password"
          rules={[{ required: true, message: 'Enter the new password' }]}
        >
          <Input.Password autoComplete="new-password" />
        </Form.Item>
      </Form>
    </Modal>
  );
}
