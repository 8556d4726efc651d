/**
 * examples/lambda-table: a zip Lambda loads uploads under `orders/` into the
 * typed `orders` table, reporting bad rows (SKIP_AND_REPORT). After a
 * deploy: three good rows are loaded and the fourth (`paid` = "maybe") is
 * rejected into `rejects/<key>.csv`; the processor's reprocess answer (its
 * status output) reports the same counts.
 */
import { integApp, ORDERS_CSV_WITH_BAD_ROW, ORDERS_ROWS, PipelineInteg, synthIntegApp } from './pipeline-integ';
import { LambdaTableStack } from '../../examples/lambda-table/stack';

const app = integApp();
const test = new PipelineInteg(app, 'LambdaTable', new LambdaTableStack(app, 'LambdaTablePipelineInteg'));

const key = 'orders/integ/orders.csv';
const counts = { status: 'succeeded', rows: ORDERS_ROWS, rowsRejected: 1 };
test.upload(key, ORDERS_CSV_WITH_BAD_ROW);
test.awaitResult(key, counts);
test.awaitRejects(key, '^5,.*maybe'); // line 5: the fourth row
test.reprocess(key, counts);

synthIntegApp(app);
