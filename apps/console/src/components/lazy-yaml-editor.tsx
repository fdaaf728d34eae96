import { lazy, Suspense } from 'react';
import { Skeleton } from 'antd';
import type { YamlEditorProps } from './yaml-editor';

const YamlEditor = lazy(() => import('./yaml-editor'));

/** The YAML editor behind a lazy boundary, so that CodeMirror is fetched only when a page shows it. */
export function LazyYamlEditor(props: YamlEditorProps) {
  return (
    <Suspense fallback={<Skeleton active paragraph={{ rows: 12 }} />}>
      <YamlEditor {...props} />
    </Suspense>
  );
}
