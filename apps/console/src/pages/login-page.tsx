import { LockOutlined, UserOutlined } from '@ant-design/icons';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { Alert, Button, Card, Flex, Form, Input, Typography } from 'antd';
import { Navigate, useNavigate, useSearchParams } from 'react-router';
import { login } from '../api/auth';
import { BrandMark } from '../components/brand-mark';
import { startSession } from '../session/session-store';
import { useSession } from '../session/use-session';

interface Credentials {
  username: string;
  password: string;
}

export function LoginPage() {
  const token = useSession();
  const navigate = useNavigate();
  const [search] = useSearchParams();
  const queryClient = useQueryClient();
  const next = safeNext(search.get('next'));

  const signIn = useMutation({
    mutationFn: ({ username, password }: Credentials) => login(username, password),
    onSuccess: () => {
      queryClient.clear();
      startSession();
      void navigate(next, { replace: true });
    },
  });

  if (token && !signIn.isPending) return <Navigate to={next} replace />;

  return (
    <Flex
      justify="center"
      align="center"
      style={{ minHeight: '100vh', background: 'linear-gradient(160deg, #0d1b2a 0%, #1b3a5c 100%)' }}
    >
      <Card style={{ width: 380, boxShadow: '0 12px 40px rgba(0,0,0,0.25)' }}>
        <Flex vertical align="center" gap={4} style={{ marginBottom: 24 }}>
          <BrandMark size={40} />
          <Typography.Title level={3} style={{ margin: '8px 0 0' }}>
            Gantry
          </Typography.Title>
          <Typography.Text type="secondary">Sign in to the operations console</Typography.Text>
        </Flex>
        {signIn.error && (
          <Alert
            type="error"
            showIcon
            style={{ marginBottom: 16 }}
            title={signIn.error.message}
            data-testid="login-error"
          />
        )}
        <Form<Credentials>
          layout="vertical"
          requiredMark={false}
          onFinish={(values) => signIn.mutate(values)}
        >
          <Form.Item
            name="username"
            label="Username"
            rules={[{ required: true, message: 'Enter your username' }]}
          >
            <Input prefix={<UserOutlined />} autoComplete="username" autoFocus />
          </Form.Item>
          <Form.Item
            name="password"
            label="Password"
            rules={[{ required: true, message: 'Enter your password' }]}
          >
            <Input.Password prefix={<LockOutlined />} autoComplete="current-password" />
          </Form.Item>
          <Button type="primary" htmlType="submit" block loading={signIn.isPending}>
            Sign in
          </Button>
        </Form>
      </Card>
    </Flex>
  );
}

/** Only same-site paths: a crafted `?next=https://…` must not turn the login page into a redirector. */
function safeNext(next: string | null): string {
  if (!next || !next.startsWith('/') || next.startsWith('//')) return '/';
  return next;
}
