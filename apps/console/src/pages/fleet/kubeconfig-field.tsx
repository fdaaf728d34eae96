import { UploadOutlined } from '@ant-design/icons';
import { Button, Flex, Form, Input, Select, Typography, Upload } from 'antd';
import { kubeconfigContexts } from '../../lib/kubeconfig-contexts';

/**
 * The kubeconfig, pasted or read from a file, and the context to use: the choices are the contexts found
 * in the kubeconfig itself, parsed in the browser.
 */
export function KubeconfigField() {
  const form = Form.useFormInstance();
  const kubeconfig = Form.useWatch<string | undefined>('kubeconfig', form) ?? '';
  const parsed = kubeconfig.trim() ? kubeconfigContexts(kubeconfig) : undefined;

  return (
    <>
      <Form.Item
        label={
          <Flex align="center" gap={12}>
            <span>Kubeconfig</span>
            <Upload
              accept=".yaml,.yml,.conf,.config,text/plain,application/yaml"
              showUploadList={false}
              beforeUpload={(file) => {
                void file.text().then((text) => {
                  form.setFieldValue('kubeconfig', text);
                  void form.validateFields(['kubeconfig']);
                });
                return false;
              }}
            >
              <Button size="small" icon={<UploadOutlined />}>
                From file
              </Button>
            </Upload>
          </Flex>
        }
        name="kubeconfig"
        extra="Stored as an encrypted secret of the team; Gantry never shows it again."
        rules={[
          { required: true, message: 'Paste a kubeconfig or read it from a file' },
          {
            validator: async (_, value: string | undefined) => {
              const problem = value?.trim() ? kubeconfigContexts(value).problem : undefined;
              if (problem) throw new Error(problem);
            },
          },
        ]}
      >
        <Input.TextArea
          rows={10}
          spellCheck={false}
          placeholder="apiVersion: v1&#10;kind: Config&#10;clusters: ..."
          style={{ fontFamily: 'ui-monospace, SFMono-Regular, Menlo, monospace', fontSize: 12.5 }}
          aria-label="Kubeconfig"
        />
      </Form.Item>
      <Form.Item
        label="Context"
        name="context"
        extra={
          parsed?.currentContext ? (
            <>
              Leave empty for the kubeconfig's current context, <code>{parsed.currentContext}</code>.
            </>
          ) : (
            "Leave empty for the kubeconfig's current context."
          )
        }
      >
        <Select
          allowClear
          placeholder={parsed?.currentContext ?? 'current context'}
          disabled={!parsed || parsed.contexts.length === 0}
          options={(parsed?.contexts ?? []).map((context) => ({
            value: context,
            title: context,
            label: (
              <>
                {context}
                {context === parsed?.currentContext && (
                  <Typography.Text type="secondary"> (current)</Typography.Text>
                )}
              </>
            ),
          }))}
          aria-label="Context"
          data-testid="context-select"
        />
      </Form.Item>
    </>
  );
}
