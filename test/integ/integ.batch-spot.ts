/**
 * examples/batch-spot: an upload under `incoming/` submits an AWS Batch job
 * on EC2 Spot that loads the `orders` table (FAIL_FILE). After a deploy: the
 * job's result document counts the three rows, none rejected.
 */
import { BATCH_WAIT, integApp, ORDERS_CSV, ORDERS_ROWS, PipelineInteg, synthIntegApp } from './pipeline-integ';
import { BatchSpotStack } from '../../examples/batch-spot/stack';

const app = integApp();
const test = new PipelineInteg(app, 'BatchSpot', new BatchSpotStack(app, 'BatchSpotPipelineInteg'));

const key = 'incoming/integ/orders.csv';
test.upload(key, ORDERS_CSV);
test.awaitResult(key, { status: 'succeeded', rows: ORDERS_ROWS, rowsRejected: 0 }, BATCH_WAIT);

synthIntegApp(app);
