import { DeleteOutlined, PlusOutlined } from '@ant-design/icons';
import {
  Button,
  Card,
  Col,
  Flex,
  Form,
  Input,
  Row,
  Select,
  Tag,
  Typography,
  type FormInstance,
  type FormListFieldData,
} from 'antd';
import type { ComponentDefinition, TraitDefinition } from '@gantry/client';
import { SchemaFields } from '../../components/schema-form';
import type { DefinitionFields, NewApplicationValues } from '../../lib/new-application';
import { formValuesOf } from '../../lib/schema-form';

function typeOptions(definitions: readonly (ComponentDefinition | TraitDefinition)[]) {
  return [...definitions]
    .sort((a, b) => a.metadata.name.localeCompare(b.metadata.name))
    .map((definition) => ({
      value: definition.metadata.name,
      label: definition.metadata.name,
      description: definition.spec.description,
      version: definition.spec.version,
    }));
}

function TypeOption({
  label,
  version,
  description,
}: {
  label: string;
  version?: string;
  description?: string;
}) {
  return (
    <div>
      <span style={{ fontWeight: 500 }}>{label}</span>
      {version && (
        <Typography.Text type="secondary" style={{ fontSize: 12 }}>
          {' '}
          v{version}
        </Typography.Text>
      )}
      {description && (
        <Typography.Text type="secondary" ellipsis style={{ display: 'block', fontSize: 12 }}>
          {description}
        </Typography.Text>
      )}
    </div>
  );
}

/** One component of the new application: its type, properties from the type's schema, and its traits. */
export function ComponentCard({
  form,
  field,
  index,
  componentTypes,
  traitTypes,
  definitions,
  onRemove,
}: {
  form: FormInstance<NewApplicationValues>;
  field: FormListFieldData;
  index: number;
  componentTypes: readonly ComponentDefinition[];
  traitTypes: readonly TraitDefinition[];
  definitions: DefinitionFields;
  onRemove: (() => void) | undefined;
}) {
  const type = Form.useWatch(['components', index, 'type'], form) as string | undefined;
  const componentName = Form.useWatch(['components', index, 'name'], form) as string | undefined;
  const names = (Form.useWatch('components', form) ?? [])
    .map((component) => component?.name)
    .filter((name): name is string => Boolean(name) && name !== componentName);
  const fields = type ? definitions.component(type) : undefined;
  const definition = componentTypes.find((candidate) => candidate.metadata.name === type);

  return (
    <Card
      size="small"
      data-testid={`component-${index}`}
      title={
        <Flex gap={8} align="center">
          <span>Component {index + 1}</span>
          {componentName && <Typography.Text type="secondary">{componentName}</Typography.Text>}
        </Flex>
      }
      extra={
        onRemove && (
          <Button size="small" type="text" danger icon={<DeleteOutlined />} onClick={onRemove}>
            Remove
          </Button>
        )
      }
    >
      <Row gutter={12}>
        <Col xs={24} md={8}>
          <Form.Item
            label="Name"
            name={[field.name, 'name']}
            rules={[{ required: true, message: 'Name the component' }]}
          >
            <Input placeholder="web" autoComplete="off" aria-label={`Component ${index + 1} name`} />
          </Form.Item>
        </Col>
        <Col xs={24} md={8}>
          <Form.Item
            label="Type"
            name={[field.name, 'type']}
            rules={[{ required: true, message: 'Pick a component type' }]}
          >
            <Select
              showSearch
              placeholder="Component type"
              aria-label={`Component ${index + 1} type`}
              data-testid={`component-${index}-type`}
              options={typeOptions(componentTypes)}
              optionRender={(option) => <TypeOption {...option.data} />}
              onChange={(next: string) =>
                form.setFieldValue(
                  ['components', index, 'properties'],
                  formValuesOf(definitions.component(next) ?? []),
                )
              }
            />
          </Form.Item>
        </Col>
        <Col xs={24} md={8}>
          <Form.Item
            label="Depends on"
            name={[field.name, 'dependsOn']}
            extra="Applied once these are healthy on a cluster."
          >
            <Select
              mode="multiple"
              allowClear
              placeholder="None"
              aria-label={`Component ${index + 1} depends on`}
              options={names.map((name) => ({ value: name, label: name }))}
            />
          </Form.Item>
        </Col>
      </Row>
      {definition && (
        <Typography.Paragraph type="secondary" style={{ fontSize: 12, marginTop: -8 }}>
          {definition.spec.description} Runs as {definition.spec.workload?.kind ?? 'a workload'}.
        </Typography.Paragraph>
      )}
      {fields && (
        <div data-testid={`component-${index}-properties`}>
          <Typography.Title level={5} style={{ marginTop: 0 }}>
            Properties
          </Typography.Title>
          <SchemaFields
            fields={fields}
            name={[field.name, 'properties']}
            path={['components', index, 'properties']}
          />
        </div>
      )}
      <Form.List name={[field.name, 'traits']}>
        {(traits, { add, remove }) => (
          <Flex vertical gap={12}>
            <Flex justify="space-between" align="center">
              <Typography.Title level={5} style={{ margin: 0 }}>
                Traits
              </Typography.Title>
              <Button
                size="small"
                icon={<PlusOutlined />}
                onClick={() => add({ properties: {} })}
                data-testid={`component-${index}-add-trait`}
              >
                Add trait
              </Button>
            </Flex>
            {traits.length === 0 && (
              <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                No traits: the component runs as its type renders it.
              </Typography.Text>
            )}
            {traits.map((trait, traitIndex) => (
              <TraitCard
                key={trait.key}
                form={form}
                field={trait}
                componentIndex={index}
                index={traitIndex}
                componentType={type}
                traitTypes={traitTypes}
                definitions={definitions}
                onRemove={() => remove(trait.name)}
              />
            ))}
          </Flex>
        )}
      </Form.List>
    </Card>
  );
}

function TraitCard({
  form,
  field,
  componentIndex,
  index,
  componentType,
  traitTypes,
  definitions,
  onRemove,
}: {
  form: FormInstance<NewApplicationValues>;
  field: FormListFieldData;
  componentIndex: number;
  index: number;
  componentType: string | undefined;
  traitTypes: readonly TraitDefinition[];
  definitions: DefinitionFields;
  onRemove: () => void;
}) {
  const path = ['components', componentIndex, 'traits', index];
  const type = Form.useWatch([...path, 'type'], form) as string | undefined;
  const fields = type ? definitions.trait(type) : undefined;
  const definition = traitTypes.find((candidate) => candidate.metadata.name === type);
  return (
    <Card
      size="small"
      type="inner"
      data-testid={`component-${componentIndex}-trait-${index}`}
      title={`Trait ${index + 1}`}
      extra={
        <Button
          size="small"
          type="text"
          danger
          icon={<DeleteOutlined />}
          onClick={onRemove}
          aria-label="Remove trait"
        />
      }
    >
      <Form.Item
        label="Type"
        name={[field.name, 'type']}
        rules={[{ required: true, message: 'Pick a trait' }]}
      >
        <Select
          showSearch
          placeholder="Trait"
          aria-label={`Component ${componentIndex + 1} trait ${index + 1} type`}
          data-testid={`component-${componentIndex}-trait-${index}-type`}
          style={{ maxWidth: 360 }}
          options={typeOptions(traitTypes)}
          optionRender={(option) => <TypeOption {...option.data} />}
          onChange={(next: string) =>
            form.setFieldValue([...path, 'properties'], formValuesOf(definitions.trait(next) ?? []))
          }
        />
      </Form.Item>
      {definition && (
        <Flex gap={4} wrap style={{ marginTop: -12, marginBottom: 12 }}>
          <Typography.Text type="secondary" style={{ fontSize: 12 }}>
            Applies to
          </Typography.Text>
          {(definition.spec.appliesToWorkloads ?? ['*']).map((workload) => (
            <Tag key={workload} color={workload === '*' || workload === componentType ? 'blue' : undefined}>
              {workload}
            </Tag>
          ))}
          {(definition.spec.conflictsWith ?? []).length > 0 && (
            <>
              <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                conflicts with
              </Typography.Text>
              {definition.spec.conflictsWith.map((trait) => (
                <Tag key={trait} color="orange">
                  {trait}
                </Tag>
              ))}
            </>
          )}
        </Flex>
      )}
      {fields && (
        <SchemaFields fields={fields} name={[field.name, 'properties']} path={[...path, 'properties']} />
      )}
    </Card>
  );
}
