import { CheckCircleOutlined, ExperimentOutlined, SaveOutlined, UndoOutlined } from '@ant-design/icons';
import { useMutation } from '@tanstack/react-query';
import { Alert, App, Button, Flex, Typography } from 'antd';
import { useState } from 'react';
import { isApiError, type Resource } from '@gantry/client';
import { createResource, replaceResource, type ResourceRef } from '../api/resources';
import type { KindInfo } from '../api/types';
import { parseResourceYaml, resourceToYaml } from '../yaml/resource-yaml';
import { ErrorAlert } from './error-alert';
import { LazyYamlEditor } from './lazy-yaml-editor';

export interface ResourceEditorProps {
  readonly kind: KindInfo;
  /** `create` POSTs a new resource; `edit` PUTs over `target`. */
  readonly mode: 'create' | 'edit';
  readonly initialText: string;
  readonly target?: ResourceRef;
  readonly onSaved: (resource: Resource) => void;
}

interface Submission {
  readonly dryRun: boolean;
}

/** The YAML editor with Save / Dry run: server validation errors come back onto the lines they concern. */
export function ResourceEditor({ kind, mode, initialText, target, onSaved }: ResourceEditorProps) {
  const { message } = App.useApp();
  const [text, setText] = useState(initialText);
  const [dryRunResult, setDryRunResult] = useState<Resource | null>(null);

  const submit = useMutation({
    mutationFn: async ({ dryRun }: Submission): Promise<Resource> => {
      const parsed = parseResourceYaml(text);
      if (!parsed.ok) throw parsed.error;
      if (mode === 'create') return createResource(kind, parsed.resource, { dryRun });
      if (!target) throw new Error('Nothing to replace');
      return replaceResource(target, parsed.resource, { dryRun });
    },
    onMutate: () => setDryRunResult(null),
    onSuccess: (result, { dryRun }) => {
      if (dryRun) {
        setDryRunResult(result);
        return;
      }
      void message.success(mode === 'create' ? `${kind.kind} ${result.metadata.name} created` : 'Saved');
      setText(resourceToYaml(result));
      onSaved(result);
    },
  });

  const problems = isApiError(submit.error) ? submit.error.details : [];
  const submitting = submit.isPending;

  return (
    <Flex vertical gap={12}>
      <Flex gap={8} wrap>
        <Button
          type="primary"
          data-testid="editor-submit"
          icon={<SaveOutlined />}
          loading={submitting && !submit.variables.dryRun}
          disabled={submitting}
          onClick={() => submit.mutate({ dryRun: false })}
        >
          {mode === 'create' ? 'Create' : 'Save'}
        </Button>
        <Button
          data-testid="editor-dry-run"
          icon={<ExperimentOutlined />}
          loading={submitting && submit.variables.dryRun}
          disabled={submitting}
          onClick={() => submit.mutate({ dryRun: true })}
        >
          Dry run
        </Button>
        <Button
          icon={<UndoOutlined />}
          disabled={submitting || text === initialText}
          onClick={() => {
            setText(initialText);
            submit.reset();
            setDryRunResult(null);
          }}
        >
          Reset
        </Button>
      </Flex>
      {dryRunResult && (
        <Alert
          type="success"
          showIcon
          icon={<CheckCircleOutlined />}
          data-testid="dry-run-result"
          title="Dry run passed"
          description="The server validated this resource and would accept it. Nothing was written."
          closable={{ onClose: () => setDryRunResult(null) }}
        />
      )}
      <LazyYamlEditor value={text} onChange={setText} problems={problems} />
      {submit.error && (
        <div data-testid="validation-problems">
          <ErrorAlert error={submit.error} />
        </div>
      )}
      <Typography.Text type="secondary" style={{ fontSize: 12 }}>
        {mode === 'create'
          ? 'The server assigns uid, resourceVersion, generation and timestamps.'
          : 'metadata.resourceVersion must match the stored one; if someone saved in between, the server answers with a conflict.'}
      </Typography.Text>
    </Flex>
  );
}
