import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';

/** One answer a test got from the server, as `client()` (http.ts) records it. */
export interface RecordedReply {
  method: string;
  /** The path and query as requested. */
  url: string;
  status: number;
  contentType: string;
  body: unknown;
}

type Json = Record<string, unknown>;

// ajv-formats is CommonJS: its plugin is the module or its `default`, depending on the loader.
const addFormats = ((addFormatsModule as unknown as { default?: typeof addFormatsModule }).default ??
  addFormatsModule) as unknown as (ajv: Ajv) => void;

/**
 * Checks real answers against the OpenAPI document: each must be an operation's declared status, with
 * a body its schema allows. A path the document does not list may only answer an error; a listed path
 * asked with a method it does not take, only 405. Returns one line per violation.
 */
export function openApiViolations(document: Json, replies: readonly RecordedReply[]): string[] {
  const ajv = new Ajv({ allErrors: true, strict: false });
  addFormats(ajv);
  ajv.addSchema(document, 'openapi.json');
  const compiled = new Map<unknown, ValidateFunction>();
  const validate = (schema: unknown): ValidateFunction => {
    let found = compiled.get(schema);
    if (!found) {
      found = ajv.compile(rebase(schema) as Json);
      compiled.set(schema, found);
    }
    return found;
  };
  const components = document['components'] as { responses: Json; schemas: Json };
  const errorSchema = { $ref: '#/components/schemas/Error' };
  const paths = Object.entries(document['paths'] as Record<string, Record<string, Json>>);
  const violations: string[] = [];

  for (const reply of replies) {
    const method = reply.method.toLowerCase();
    if (method === 'head' || method === 'options') continue;
    const path = reply.url.split('?')[0] ?? reply.url;
    const where = `${reply.method} ${reply.url} → ${reply.status}`;
    const candidates = paths
      .filter(([template]) => matches(template, path))
      .sort(([a], [b]) => literalSegments(b) - literalSegments(a));
    const withMethod = candidates.find(([, operations]) => operations[method] !== undefined);
    const checkError = (allowed: (status: number) => boolean, why: string) => {
      if (!allowed(reply.status)) violations.push(`${where}: ${why}`);
      else checkBody(errorSchema);
    };
    const checkBody = (schema: unknown) => {
      const check = validate(schema);
      if (!check(reply.body))
        violations.push(
          `${where}: the body breaks the declared schema: ${ajv.errorsText(check.errors)} in ${JSON.stringify(reply.body).slice(0, 300)}`,
        );
    };
    if (!withMethod) {
      if (candidates.length > 0)
        checkError((status) => status === 405, 'the path does not take this method: expected 405');
      else
        checkError(
          (status) => status >= 400 && status < 500,
          'the document lists no such path: expected a 4xx',
        );
      continue;
    }
    const [template, operations] = withMethod;
    const responses = (operations[method] as { responses: Record<string, Json> }).responses;
    let response = responses[String(reply.status)];
    if (!response) {
      violations.push(`${where}: ${reply.method.toUpperCase()} ${template} does not declare ${reply.status}`);
      continue;
    }
    const ref = response['$ref'];
    if (typeof ref === 'string') response = components.responses[ref.split('/').pop()!] as Json;
    const content = response['content'] as Record<string, { schema?: unknown }> | undefined;
    if (!content) continue;
    const type = reply.contentType.split(';')[0]!.trim();
    const declared = content[type];
    if (!declared) {
      violations.push(`${where}: content type ${type} is not one of ${Object.keys(content).join(', ')}`);
      continue;
    }
    if (declared.schema !== undefined && type === 'application/json') checkBody(declared.schema);
  }
  return violations;
}

function matches(template: string, path: string): boolean {
  const want = template.split('/');
  const got = path.split('/');
  return (
    want.length === got.length &&
    want.every((segment, i) => (segment.startsWith('{') ? got[i] !== '' : segment === got[i]))
  );
}

function literalSegments(template: string): number {
  return template.split('/').filter((segment) => !segment.startsWith('{')).length;
}

/** Points the document's local `$ref`s at the document, so a response schema compiles on its own. */
function rebase(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(rebase);
  if (typeof schema !== 'object' || schema === null) return schema;
  return Object.fromEntries(
    Object.entries(schema).map(([key, value]) => [
      key,
      key === '$ref' && typeof value === 'string' && value.startsWith('#/')
        ? `openapi.json${value}`
        : rebase(value),
    ]),
  );
}
