/** What the server says about itself: `GET /api/version` and `GET /api/kinds` (packages/model/src/api/meta.ts). */
export type { KindList, KindScope, PrinterColumn, ServedKind, ServerVersion } from '@gantry/model';
