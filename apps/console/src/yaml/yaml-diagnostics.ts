import type { Diagnostic } from '@codemirror/lint';
import { parseDocument } from 'yaml';
import type { ErrorDetail } from '@gantry/client';
import { pointerRange } from './pointer-range';

/**
 * The editor's diagnostics: YAML syntax errors found locally, and the server's validation details placed
 * on the line of their JSON pointer in the current text.
 */
export function yamlDiagnostics(text: string, serverDetails: readonly ErrorDetail[]): Diagnostic[] {
  const doc = parseDocument(text, { keepSourceTokens: false });
  const diagnostics: Diagnostic[] = doc.errors.map((error) => ({
    from: Math.min(error.pos[0], text.length),
    to: Math.min(Math.max(error.pos[1], error.pos[0]), text.length),
    severity: 'error',
    source: 'YAML',
    message: error.message.split('\n')[0] ?? error.message,
  }));
  if (doc.errors.length > 0) return diagnostics;
  for (const detail of serverDetails) {
    const range = pointerRange(doc, text, detail.path);
    diagnostics.push({
      ...range,
      severity: 'error',
      source: 'server',
      message: detail.path ? `${detail.path}: ${detail.message}` : detail.message,
    });
  }
  return diagnostics;
}
