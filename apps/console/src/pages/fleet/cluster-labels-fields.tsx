import { MinusCircleOutlined, PlusOutlined } from '@ant-design/icons';
import { Button, Col, Flex, Form, Input, Row } from 'antd';
import { wellKnownClusterLabels } from '../../lib/new-cluster';

const placeholders: Record<(typeof wellKnownClusterLabels)[number], string> = {
  region: 'cn-hangzhou',
  zone: 'cn-hangzhou-h',
  env: 'prod',
  product: 'maxcompute',
};

/** The labels the overview groups by, asked for by name, and any others as key/value pairs. */
export function ClusterLabelsFields() {
  return (
    <>
      <Row gutter={12}>
        {wellKnownClusterLabels.map((label) => (
          <Col xs={12} md={6} key={label}>
            <Form.Item label={label} name={['labels', label]}>
              <Input placeholder={placeholders[label]} aria-label={`Label ${label}`} />
            </Form.Item>
          </Col>
        ))}
      </Row>
      <Form.List name="extraLabels">
        {(fields, { add, remove }) => (
          <Flex vertical gap={0} style={{ marginBottom: 16 }}>
            {fields.map((field) => (
              <Flex key={field.key} gap={8} align="baseline">
                <Form.Item
                  name={[field.name, 'key']}
                  rules={[{ required: true, message: 'Name the label' }]}
                  style={{ flex: 1 }}
                >
                  <Input placeholder="key" aria-label="Label key" />
                </Form.Item>
                <Form.Item name={[field.name, 'value']} style={{ flex: 1 }}>
                  <Input placeholder="value" aria-label="Label value" />
                </Form.Item>
                <MinusCircleOutlined aria-label="Remove label" onClick={() => remove(field.name)} />
              </Flex>
            ))}
            <Button type="dashed" icon={<PlusOutlined />} onClick={() => add()} style={{ width: 200 }}>
              Add another label
            </Button>
          </Flex>
        )}
      </Form.List>
    </>
  );
}
