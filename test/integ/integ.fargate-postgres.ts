/**
 * examples/fargate-postgres: an upload under `raw-data/` starts a Fargate
 * Spot task that loads the `orders` table (SKIP_AND_REPORT); a nightly
 * schedule covers `raw-data/<date>/`. After a deploy: the task's result
 * document counts three loaded rows and one rejected (`paid` = "maybe"),
 * whose line is in `rejects/<key>.csv`.
 */
import { Duration } from 'aws-cdk-lib';
import { integApp, ORDERS_CSV_WITH_BAD_ROW, ORDERS_ROWS, PipelineInteg, synthIntegApp } from './pipeline-integ';
import { FargatePostgresStack } from '../../examples/fargate-postgres/stack';

const app = integApp();
const test = new PipelineInteg(app, 'FargatePostgres', new FargatePostgresStack(app, 'FargatePostgresPipelineInteg'));

const key = 'raw-data/2026-01-15/integ-orders.csv';
test.upload(key, ORDERS_CSV_WITH_BAD_ROW);
// A task starts per upload: image pull and start take a minute or two.
test.awaitResult(key, { status: 'succeeded', rows: ORDERS_ROWS, rowsRejected: 1 }, { totalTimeout: Duration.minutes(15) });
test.awaitRejects(key, '^5,.*maybe'); // line 5: the fourth row

synthIntegApp(app);
