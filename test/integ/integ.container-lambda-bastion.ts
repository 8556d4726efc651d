/**
 * examples/container-lambda-bastion: a container-image Lambda loads uploads
 * under `incoming/` into the `orders` table; a bastion in a public subnet.
 * The image asset is synthesized without Docker (cdk deploy builds it).
 * After a deploy: the three rows are loaded, and the processor's reprocess
 * answer (its status output) reports them.
 */
import { integApp, ORDERS_CSV, ORDERS_ROWS, PipelineInteg, synthIntegApp } from './pipeline-integ';
import { ContainerLambdaBastionStack } from '../../examples/container-lambda-bastion/stack';

const app = integApp();
const test = new PipelineInteg(app, 'ContainerLambdaBastion',
  new ContainerLambdaBastionStack(app, 'ContainerLambdaBastionPipelineInteg'));

const key = 'incoming/integ/orders.csv';
const counts = { status: 'succeeded', rows: ORDERS_ROWS, rowsRejected: 0 };
test.upload(key, ORDERS_CSV);
test.awaitResult(key, counts);
test.reprocess(key, counts);

synthIntegApp(app);
