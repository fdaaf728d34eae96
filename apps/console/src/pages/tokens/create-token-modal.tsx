import { useMutation } from '@tanstack/react-query';
import { Form, Input, InputNumber, Modal } from 'antd';
import { createToken } from '../../api/tokens';
import type { CreatedToken } from '../../api/types';
import { ErrorAlert } from '../../components/error-alert';

interface TokenForm {
  name: string;
  expiresInDays: number;
}

export function CreateTokenModal({
  open,
  onClose,
  onCreated,
}: {
  open: boolean;
  onClose: () => void;
  onCreated: (token: CreatedToken) => void;
}) {
  const [form] = Form.useForm<TokenForm>();
  const create = useMutation({
    mutationFn: (values: TokenForm) => createToken(values.name, values.expiresInDays),
    onSuccess: (token) => {
      form.resetFields();
      onCreated(token);
    },
  });
  return (
    <Modal
      title="Create API token"
      open={open}
      okText="Create"
      confirmLoading={create.isPending}
      onOk={() => form.submit()}
      onCancel={() => {
        create.reset();
        onClose();
      }}
      destroyOnHidden
    >
      <ErrorAlert error={create.error} style={{ marginBottom: 16 }} />
      <Form<TokenForm>
        form={form}
        layout="vertical"
        initialValues={{ expiresInDays: 90 }}
        onFinish={(values) => create.mutate(values)}
      >
        <Form.Item
          name="name"
          label="Name"
          rules={[{ required: true, message: 'Name the token after what will use it' }]}
          extra="For example: ci-deploy, laptop-cli."
        >
          <Input autoComplete="off" />
        </Form.Item>
        <Form.Item name="expiresInDays" label="Expires in (days)" rules={[{ required: true }]}>
          <InputNumber min={1} max={365} style={{ width: 160 }} />
        </Form.Item>
      </Form>
    </Modal>
  );
}
