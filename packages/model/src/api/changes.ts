import { Type, type Static } from '@sinclair/typebox';

/** The body of pause, resume and abort, and of stopping or releasing the line: why, for the record. */
export const ChangeActionRequest = Type.Object(
  {
    reason: Type.String({ minLength: 1, maxLength: 1000, description: 'Why; recorded with who.' }),
  },
  { additionalProperties: false },
);
export type ChangeActionRequest = Static<typeof ChangeActionRequest>;

export const CHANGE_ACTIONS = ['pause', 'resume', 'abort', 'approve', 'reject', 'rollback'] as const;
export const ChangeActionName = Type.Union(CHANGE_ACTIONS.map((action) => Type.Literal(action)));
export type ChangeActionName = Static<typeof ChangeActionName>;

/** A request to pause, resume or abort a change, as recorded: the engine carries it out at its next step. */
export const ChangeActionRecord = Type.Object(
  {
    id: Type.String(),
    team: Type.String(),
    change: Type.String(),
    action: ChangeActionName,
    actor: Type.String(),
    reason: Type.String(),
    requestedAt: Type.String({ format: 'date-time' }),
    handledAt: Type.Optional(Type.String({ format: 'date-time' })),
  },
  { additionalProperties: false },
);
export type ChangeActionRecord = Static<typeof ChangeActionRecord>;

/** Stop-the-line: while one is active for a team (or for the fleet, team `''`), no change of it takes a step. */
export const LineStop = Type.Object(
  {
    id: Type.String(),
    team: Type.String({ description: "The team; '' for the whole fleet." }),
    stoppedBy: Type.String(),
    reason: Type.String(),
    stoppedAt: Type.String({ format: 'date-time' }),
    releasedBy: Type.Optional(Type.String()),
    releaseReason: Type.Optional(Type.String()),
    releasedAt: Type.Optional(Type.String({ format: 'date-time' })),
  },
  { additionalProperties: false },
);
export type LineStop = Static<typeof LineStop>;

export const LineStopList = Type.Object({ items: Type.Array(LineStop) }, { additionalProperties: false });
export type LineStopList = Static<typeof LineStopList>;

/** One step of a change's journal, as the API shows it. */
export const ChangeJournalEntry = Type.Object(
  {
    seq: Type.Integer(),
    key: Type.String(),
    type: Type.String(),
    batch: Type.Optional(Type.Integer()),
    entity: Type.Optional(Type.String()),
    at: Type.String({ format: 'date-time' }),
    term: Type.String({ description: 'The lease term (holder#transitions) that wrote it.' }),
    data: Type.Record(Type.String(), Type.Unknown()),
  },
  { additionalProperties: false },
);
export type ChangeJournalEntry = Static<typeof ChangeJournalEntry>;

export const ChangeJournal = Type.Object(
  { items: Type.Array(ChangeJournalEntry), continue: Type.Optional(Type.String()) },
  { additionalProperties: false },
);
export type ChangeJournal = Static<typeof ChangeJournal>;

export const ChangeJournalQuery = Type.Object(
  {
    limit: Type.Optional(Type.String({ pattern: '^[0-9]+$', description: '1-5000, default 1000.' })),
    continue: Type.Optional(Type.String({ maxLength: 200, description: 'From the previous page.' })),
  },
  { additionalProperties: false },
);
export type ChangeJournalQuery = Static<typeof ChangeJournalQuery>;
