/** Why a check ended as it did: the `reason` of its result (stable; never parsed from messages). */
export const CheckReason = {
  Ok: 'Ok',
  RisksFound: 'RisksFound',
  NoData: 'NoData',
  QueryFailed: 'QueryFailed',
  SourceUnreachable: 'SourceUnreachable',
  SourceUnauthorized: 'SourceUnauthorized',
  SourceNotFound: 'SourceNotFound',
  SecretMissing: 'SecretMissing',
  ConditionFailed: 'ConditionFailed',
  DataUnavailable: 'DataUnavailable',
  Interrupted: 'Interrupted',
} as const;
export type CheckReason = (typeof CheckReason)[keyof typeof CheckReason];

/** The Inspection's condition: did every check of the last run run? */
export const InspectionCondition = {
  type: 'ChecksSucceeded',
  allRan: 'AllChecksRan',
  someNoData: 'SomeChecksHadNoData',
  checksFailed: 'ChecksFailed',
  invalid: 'InvalidSpec',
} as const;

/** Gantry events about an Inspection. */
export const InspectionEventReason = {
  checkFailed: 'InspectionCheckFailed',
  invalid: 'InspectionInvalid',
} as const;
