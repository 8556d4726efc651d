export { DynamoDbLedger, DynamoDbLedgerOptions } from './dynamodb-ledger';
export { DEFAULT_LEASE_MS, LeaseLostError } from './lease';
