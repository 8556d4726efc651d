export { createReportSink } from './sink';
export { GroupLimitError, GroupTable } from './group-table';
export { HLL_STANDARD_ERROR, SPARSE_LIMIT } from './hll';
export { isReportSummary, ReportSummary, shapeOf, SUMMARY_FORMAT, SummaryGroup, withoutSketches } from './summary';
export { ReportRowSink, ResultReader, RunAggregates, runAggregates, StoredResult } from './run-aggregates';
export { localResultReader, s3ResultReader } from './result-readers';
