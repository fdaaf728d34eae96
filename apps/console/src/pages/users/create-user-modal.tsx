import { useMutation } from '@tanstack/react-query';
import { Form, Input, Modal, Switch } from 'antd';
import { createUser, type NewUser } from '../../api/users';
import { ErrorAlert } from '../../components/error-alert';

export function CreateUserModal({
  open,
  onClose,
  onCreated,
}: {
  open: boolean;
  onClose: () => void;
  onCreated: () => void;
}) {
  const [form] = Form.useForm<NewUser>();
  const create = useMutation({
    mutationFn: createUser,
    onSuccess: () => {
      form.resetFields();
      onCreated();
    },
  });
  return (
    <Modal
      title="Create user"
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
      <Form<NewUser>
        form={form}
        layout="vertical"
        initialValues={{ admin: false }}
        onFinish={(values) => create.mutate(values)}
      >
        <Form.Item name="username" label="Username" rules={[{ required: true, message: 'Enter a username' }]}>
          <Input autoComplete="off" />
        </Form.Item>
        <Form.Item
          name="password"
          label="Password"
          rules={[{ required: true, message: 'Enter an initial password' }]}
        >
          <Input.Password autoComplete="new-password" />
        </Form.Item>
        <Form.Item
          name="admin"
          label="Administrator"
          valuePropName="checked"
          extra="Administrators have the admin role in every team."
        >
          <Switch />
        </Form.Item>
      </Form>
    </Modal>
  );
}
