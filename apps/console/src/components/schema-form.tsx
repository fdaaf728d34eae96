import { MinusCircleOutlined, PlusOutlined } from '@ant-design/icons';
import {
  Button,
  Card,
  Flex,
  Form,
  Input,
  InputNumber,
  Select,
  Switch,
  Typography,
  type FormInstance,
} from 'antd';
import { useMemo, type ReactNode } from 'react';
import {
  describeSchema,
  fieldRules,
  formValuesOf,
  objectIsSet,
  propertiesOf,
  type ArrayField,
  type FieldRule,
  type ListRule,
  type EnumField,
  type FieldPath,
  type FormRecord,
  type MapField,
  type ObjectField,
  type ScalarField,
  type SchemaField,
  type ScalarType,
} from '../lib/schema-form';

/**
 * A form generated from a definition's JSON Schema (`spec.schema`). `SchemaFields` renders the fields
 * of a properties object at a name path of an enclosing antd Form (or Form.List item), so that a page
 * can hold several (the components and traits of a new application). `SchemaForm` is the standalone
 * form, with `useSchemaForm` giving the properties object it produces.
 */

export interface SchemaFieldsProps {
  readonly fields: readonly SchemaField[];
  /** The properties object's name path, relative to the enclosing Form or Form.List item. */
  readonly name: FieldPath;
  /** The same path from the form's root (it differs from `name` inside a Form.List); default `name`. */
  readonly path?: FieldPath;
}

/** Where a field sits: its name (relative, for Form.Item) and path (absolute, for reading values). */
interface Place {
  readonly name: FieldPath;
  readonly path: FieldPath;
  /** The nearest optional object around the field: its required-ness applies once that object is set. */
  readonly guard: { readonly field: ObjectField; readonly path: FieldPath } | undefined;
}

export function SchemaFields({ fields, name, path = name }: SchemaFieldsProps) {
  if (fields.length === 0)
    return (
      <Typography.Text type="secondary" style={{ display: 'block', marginBottom: 12 }}>
        This definition takes no properties.
      </Typography.Text>
    );
  return <FieldList fields={fields} place={{ name, path, guard: undefined }} />;
}

function FieldList({ fields, place }: { fields: readonly SchemaField[]; place: Place }) {
  return (
    <>
      {fields.map((field) => (
        <SchemaFieldItem
          key={field.key}
          field={field}
          place={{ ...place, name: [...place.name, field.key], path: [...place.path, field.key] }}
        />
      ))}
    </>
  );
}

/** The field's rules, its required-ness guarded by the optional object around it (if any). */
function useRules(field: SchemaField, place: Place): FieldRule[] {
  const form = Form.useFormInstance();
  const { guard } = place;
  if (!guard) return fieldRules(field);
  return fieldRules(field, () => objectIsSet(guard.field, form.getFieldValue(guard.path)));
}

const typeHints: Record<SchemaField['type'], string> = {
  string: 'string',
  integer: 'integer',
  number: 'number',
  boolean: 'boolean',
  enum: 'one of',
  object: 'object',
  map: 'map',
  array: 'list',
  yaml: 'YAML',
};

function FieldLabel({ field }: { field: SchemaField }) {
  return (
    <span>
      {field.label}
      <Typography.Text type="secondary" style={{ fontSize: 11, marginLeft: 6, fontWeight: 400 }}>
        {field.label !== field.key ? `${field.key} · ` : ''}
        {field.type === 'array' ? `list of ${typeHints[field.item.type]}` : typeHints[field.type]}
      </Typography.Text>
    </span>
  );
}

function SchemaFieldItem({ field, place }: { field: SchemaField; place: Place }) {
  const rules = useRules(field, place);
  const { name } = place;
  switch (field.type) {
    case 'object':
      return (
        <Group field={field}>
          <FieldList
            fields={field.fields}
            place={field.required ? place : { ...place, guard: { field, path: place.path } }}
          />
        </Group>
      );
    case 'map':
      return <MapFieldItem field={field} name={name} rules={rules} />;
    case 'array':
      return <ArrayFieldItem field={field} place={place} rules={rules} />;
    case 'yaml':
      return (
        <Form.Item
          label={<FieldLabel field={field} />}
          name={name}
          rules={rules}
          extra={field.description}
          required={field.required}
        >
          <Input.TextArea
            autoSize={{ minRows: 2, maxRows: 12 }}
            style={{ fontFamily: 'ui-monospace, SFMono-Regular, Menlo, Consolas, monospace', fontSize: 12.5 }}
            placeholder="YAML"
          />
        </Form.Item>
      );
    default:
      return (
        <Form.Item
          label={<FieldLabel field={field} />}
          name={name}
          rules={rules}
          extra={field.description}
          required={field.required}
          valuePropName={field.type === 'boolean' ? 'checked' : 'value'}
        >
          <ScalarInput field={field} />
        </Form.Item>
      );
  }
}

/** The input for one scalar; antd's Form.Item passes `value`/`checked` and `onChange` through. */
function ScalarInput({ field, ...control }: { field: ScalarField | EnumField; id?: string }) {
  if (field.type === 'enum')
    return (
      <Select
        {...control}
        allowClear={!field.required}
        style={{ maxWidth: 320 }}
        placeholder={`Pick ${field.label}`}
        options={field.options.map((option) => ({ value: option as string | number, label: String(option) }))}
      />
    );
  return <TypeInput {...control} type={field.type} field={field} />;
}

function TypeInput({ type, field, ...control }: { type: ScalarType; field?: ScalarField; id?: string }) {
  const placeholder = field?.default !== undefined ? `default: ${JSON.stringify(field.default)}` : undefined;
  switch (type) {
    case 'boolean':
      return <Switch {...control} />;
    case 'integer':
    case 'number':
      return (
        <InputNumber
          {...control}
          precision={type === 'integer' ? 0 : undefined}
          min={field?.minimum}
          max={field?.maximum}
          placeholder={placeholder}
          style={{ width: 200 }}
        />
      );
    default:
      return <Input {...control} placeholder={placeholder} autoComplete="off" style={{ maxWidth: 480 }} />;
  }
}

/** An object's fields, or a list, under the field's label and description. */
function Group({ field, children, extra }: { field: SchemaField; children: ReactNode; extra?: ReactNode }) {
  return (
    <div
      style={{ border: '1px solid #eaeef2', borderRadius: 6, padding: '8px 12px 4px', marginBottom: 16 }}
      data-schema-field={field.key}
    >
      <Flex justify="space-between" align="center" style={{ marginBottom: 8 }}>
        <Typography.Text strong>
          {field.required && <span style={{ color: '#cf222e', marginRight: 4 }}>*</span>}
          <FieldLabel field={field} />
        </Typography.Text>
        {extra}
      </Flex>
      {field.description && (
        <Typography.Text
          type="secondary"
          style={{ display: 'block', marginTop: -4, marginBottom: 8, fontSize: 12 }}
        >
          {field.description}
        </Typography.Text>
      )}
      {children}
    </div>
  );
}

function isListRule(rule: FieldRule): rule is ListRule {
  return rule.validator !== undefined;
}

function ListErrors({ errors }: { errors: ReactNode[] }) {
  return errors.length > 0 ? <Form.ErrorList errors={errors} /> : null;
}

function MapFieldItem({ field, name, rules }: { field: MapField; name: FieldPath; rules: FieldRule[] }) {
  return (
    <Form.List name={name} rules={rules.filter(isListRule)}>
      {(items, { add, remove }, { errors }) => (
        <Group
          field={field}
          extra={
            <Button size="small" icon={<PlusOutlined />} onClick={() => add({ key: '', value: undefined })}>
              Add entry
            </Button>
          }
        >
          {items.map((item) => (
            <Flex key={item.key} gap={8} align="baseline">
              <Form.Item
                name={[item.name, 'key']}
                rules={[{ required: true, message: 'Key' }]}
                style={{ flex: '0 0 220px' }}
              >
                <Input placeholder="key" aria-label={`${field.label} key`} autoComplete="off" />
              </Form.Item>
              <Form.Item
                name={[item.name, 'value']}
                valuePropName={field.valueType === 'boolean' ? 'checked' : 'value'}
                style={{ flex: 1 }}
              >
                <TypeInput type={field.valueType} />
              </Form.Item>
              <MinusCircleOutlined aria-label="Remove entry" onClick={() => remove(item.name)} />
            </Flex>
          ))}
          <ListErrors errors={errors} />
        </Group>
      )}
    </Form.List>
  );
}

function ArrayFieldItem({ field, place, rules }: { field: ArrayField; place: Place; rules: FieldRule[] }) {
  const item = field.item;
  const newItem = (): unknown => (item.type === 'object' ? formValuesOf(item.fields) : item.default);
  return (
    <Form.List name={place.name} rules={rules.filter(isListRule)}>
      {(entries, { add, remove }, { errors }) => (
        <Group
          field={field}
          extra={
            <Button size="small" icon={<PlusOutlined />} onClick={() => add(newItem())}>
              Add
            </Button>
          }
        >
          {entries.length === 0 && (
            <Typography.Text type="secondary" style={{ display: 'block', marginBottom: 8, fontSize: 12 }}>
              Empty
            </Typography.Text>
          )}
          {entries.map((entry, index) =>
            item.type === 'object' ? (
              <Card
                key={entry.key}
                size="small"
                title={`${field.label} #${index + 1}`}
                style={{ marginBottom: 12 }}
                extra={<MinusCircleOutlined aria-label="Remove item" onClick={() => remove(entry.name)} />}
              >
                {/* An item exists once added: its required fields always apply. */}
                <FieldList
                  fields={item.fields}
                  place={{ name: [entry.name], path: [...place.path, entry.name], guard: undefined }}
                />
              </Card>
            ) : (
              <Flex key={entry.key} gap={8} align="baseline">
                <Form.Item
                  name={entry.name}
                  rules={fieldRules({ ...item, required: true, label: `${field.label} #${index + 1}` })}
                  valuePropName={item.type === 'boolean' ? 'checked' : 'value'}
                  style={{ flex: 1 }}
                >
                  <ScalarInput field={item} />
                </Form.Item>
                <MinusCircleOutlined aria-label="Remove item" onClick={() => remove(entry.name)} />
              </Flex>
            ),
          )}
          <ListErrors errors={errors} />
        </Group>
      )}
    </Form.List>
  );
}

/** The standalone form's state: its antd form, the fields, and the properties object it produces. */
export function useSchemaForm(schema: unknown, initialProperties?: unknown) {
  const fields = useMemo(() => describeSchema(schema), [schema]);
  const initialValues = useMemo(() => formValuesOf(fields, initialProperties), [fields, initialProperties]);
  const [form] = Form.useForm<FormRecord>();
  const values = Form.useWatch((all: FormRecord) => all, { form, preserve: true });
  const properties = useMemo(
    () => propertiesOf(fields, values ?? initialValues),
    [fields, values, initialValues],
  );
  return { form, fields, initialValues, properties };
}

export function SchemaForm({
  form,
  fields,
  initialValues,
  testId,
}: {
  form: FormInstance<FormRecord>;
  fields: readonly SchemaField[];
  initialValues: FormRecord;
  testId?: string;
}) {
  return (
    <Form<FormRecord>
      form={form}
      layout="vertical"
      initialValues={initialValues}
      requiredMark
      data-testid={testId}
    >
      <SchemaFields fields={fields} name={[]} />
    </Form>
  );
}
