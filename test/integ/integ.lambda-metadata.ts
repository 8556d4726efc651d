/**
 * examples/lambda-metadata: the defaults (two peered VPCs, Lambda processor,
 * file_metadata only). After a deploy: an upload gets a succeeded result
 * document with its row count, and the processor's reprocess answer (its
 * status output) reports the same rows.
 */
import { integApp, ORDERS_CSV, ORDERS_ROWS, PipelineInteg, synthIntegApp } from './pipeline-integ';
import { LambdaMetadataStack } from '../../examples/lambda-metadata/stack';

const app = integApp();
const test = new PipelineInteg(app, 'LambdaMetadata', new LambdaMetadataStack(app, 'LambdaMetadataPipelineInteg'));

const key = 'integ/orders.csv';
test.upload(key, ORDERS_CSV);
test.awaitResult(key, { status: 'succeeded', rows: ORDERS_ROWS });
test.reprocess(key, { status: 'succeeded', rows: ORDERS_ROWS });

synthIntegApp(app);
