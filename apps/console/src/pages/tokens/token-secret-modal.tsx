import { Alert, Button, Modal, Typography } from 'antd';
import type { CreatedToken } from '../../api/types';

/** The token's secret, shown this once: the server keeps only its hash, and the dialog leaves no copy in the page. */
export function TokenSecretModal({
  token,
  open,
  onClose,
  afterClose,
}: {
  token: CreatedToken | null;
  open: boolean;
  onClose: () => void;
  afterClose: () => void;
}) {
  return (
    <Modal
      title={`Token ${token?.name ?? ''} created`}
      open={open}
      onCancel={onClose}
      afterClose={afterClose}
      destroyOnHidden
      mask={{ closable: false }}
      footer={
        <Button type="primary" onClick={onClose}>
          I have copied it
        </Button>
      }
    >
      <Alert
        type="warning"
        showIcon
        style={{ marginBottom: 16 }}
        title="Copy the token now"
        description="This is the only time Gantry shows it. If you lose it, revoke it and create another."
      />
      <Typography.Paragraph
        copyable={{ text: token?.token ?? '' }}
        code
        data-testid="token-secret"
        style={{ wordBreak: 'break-all', fontSize: 13, marginBottom: 8 }}
      >
        {token?.token}
      </Typography.Paragraph>
      <Typography.Text type="secondary" style={{ fontSize: 12 }}>
        Use it as <code>Authorization: Bearer &lt;token&gt;</code>, or with the CLI.
      </Typography.Text>
    </Modal>
  );
}
