/** The test server's history length at which Temporal suggests continue-as-new (4,096 in production). */
export const CONTINUE_AS_NEW_SUGGESTED_AT = 300;
