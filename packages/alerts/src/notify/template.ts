import type { NotificationChannelType, WebhookMessage } from '@gantry/model';
import { celToJson, createCelEngine, parseTemplateString, type CelEngine } from '@gantry/delivery';

/**
 * Title and body templates: text with `${...}` CEL expressions (ADR 0006's template strings and CEL
 * environment, through @gantry/delivery's exports), evaluated over the notification's fields. Nothing in
 * a template can run code; evaluation is bounded by the CEL limits.
 */
export interface NotificationTemplates {
  title: string;
  body: string;
}

const TITLE =
  "[${status == 'firing' ? 'FIRING:' + string(size(alerts.filter(a, a.status == 'firing'))) : 'RESOLVED'}] ${'alertname' in groupLabels ? groupLabels.alertname : ('alertname' in commonLabels ? commonLabels.alertname : receiver)}";
const BODY =
  "${alerts.map(a, '- ' + a.status + ' ' + ('summary' in a.annotations ? a.annotations.summary : ('alertname' in a.labels ? a.labels.alertname : a.fingerprint)) + ' (' + a.labels.map(k, k + '=' + a.labels[k]).join(', ') + ')').join('\\n')}${truncatedAlerts > 0 ? '\\n(' + string(truncatedAlerts) + ' more)' : ''}";

/** The defaults per type: plain text everywhere; the robots that render Markdown get Markdown. */
export function defaultTemplates(type: NotificationChannelType): NotificationTemplates {
  switch (type) {
    case 'dingtalk':
    case 'wecom':
      return { title: TITLE, body: `### ${TITLE}\n${BODY}` };
    case 'slack':
      return { title: TITLE, body: `*${TITLE}*\n${BODY}` };
    default:
      return { title: TITLE, body: BODY };
  }
}

export type RenderOutcome = { ok: true; text: string } | { ok: false; message: string };

export class NotificationTemplateRenderer {
  readonly #engine: CelEngine;

  constructor(engine: CelEngine = createCelEngine({ cacheSize: 1000 })) {
    this.#engine = engine;
  }

  /** Problems of a template without a message to render it over: syntax and compilation. */
  check(template: string): string | undefined {
    const parsed = parseTemplateString(template);
    if (!parsed.ok) return parsed.message;
    for (const segment of parsed.segments) {
      if (segment.kind !== 'expression') continue;
      const compiled = this.#engine.compile(segment.source);
      if (!compiled.ok) return `\${${segment.source}}: ${compiled.message}`;
    }
    return undefined;
  }

  render(template: string, message: WebhookMessage): RenderOutcome {
    const parsed = parseTemplateString(template);
    if (!parsed.ok) return { ok: false, message: parsed.message };
    const bindings = { ...message };
    let out = '';
    for (const segment of parsed.segments) {
      if (segment.kind === 'text') {
        out += segment.text;
        continue;
      }
      const compiled = this.#engine.compile(segment.source);
      if (!compiled.ok) return { ok: false, message: `\${${segment.source}}: ${compiled.message}` };
      const evaluated = compiled.program.evaluate(bindings);
      if (!evaluated.ok) return { ok: false, message: `\${${segment.source}}: ${evaluated.message}` };
      const json = celToJson(evaluated.value);
      if (!json.ok) return { ok: false, message: `\${${segment.source}}: ${json.message}` };
      const value = json.value;
      out +=
        typeof value === 'string'
          ? value
          : value === null
            ? ''
            : typeof value === 'object'
              ? JSON.stringify(value)
              : String(value);
    }
    return { ok: true, text: out };
  }
}
