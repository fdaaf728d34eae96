import { yaml } from '@codemirror/lang-yaml';
import { forceLinting, linter, lintGutter } from '@codemirror/lint';
import CodeMirror, { EditorView, StateEffect } from '@uiw/react-codemirror';
import { useEffect, useMemo, useRef } from 'react';
import type { ErrorDetail } from '@gantry/client';
import { yamlDiagnostics } from '../yaml/yaml-diagnostics';

export interface YamlEditorProps {
  readonly value: string;
  readonly onChange?: (value: string) => void;
  /** Server validation details, shown as diagnostics on the line of their path. */
  readonly problems?: readonly ErrorDetail[];
  readonly readOnly?: boolean;
  readonly height?: string;
}

/** Dispatched when the server's problems change, so that the linter runs again without a text change. */
const problemsChanged = StateEffect.define<null>();

const editorTheme = EditorView.theme({
  '&': { fontSize: '13px', border: '1px solid #d9dde3', borderRadius: '6px' },
  '.cm-scroller': {
    fontFamily: "ui-monospace, SFMono-Regular, Menlo, Consolas, 'Liberation Mono', monospace",
  },
  '.cm-gutters': { backgroundColor: '#f7f8fa', borderRight: '1px solid #e8ebf0' },
});

/** CodeMirror with YAML highlighting and lint; loaded only by the pages that edit resources. */
export default function YamlEditor({
  value,
  onChange,
  problems = [],
  readOnly = false,
  height = '520px',
}: YamlEditorProps) {
  const viewRef = useRef<EditorView | null>(null);
  const problemsRef = useRef(problems);

  const extensions = useMemo(
    () => [
      yaml(),
      lintGutter(),
      linter((view) => yamlDiagnostics(view.state.doc.toString(), problemsRef.current), {
        delay: 250,
        needsRefresh: (update) =>
          update.transactions.some((tr) => tr.effects.some((effect) => effect.is(problemsChanged))),
      }),
      EditorView.lineWrapping,
      editorTheme,
    ],
    [],
  );

  useEffect(() => {
    problemsRef.current = problems;
    const view = viewRef.current;
    if (!view) return;
    view.dispatch({ effects: problemsChanged.of(null) });
    forceLinting(view);
  }, [problems]);

  return (
    <div data-testid="yaml-editor">
      <CodeMirror
        value={value}
        height={height}
        extensions={extensions}
        readOnly={readOnly}
        editable={!readOnly}
        basicSetup={{ foldGutter: true, highlightActiveLine: !readOnly, autocompletion: false }}
        onChange={(text) => onChange?.(text)}
        onCreateEditor={(view) => {
          viewRef.current = view;
        }}
      />
    </div>
  );
}
