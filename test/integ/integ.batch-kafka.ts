/**
 * examples/batch-kafka: an upload under `incoming/` submits an AWS Batch job
 * on EC2 Spot that streams every row to the `orders` topic on MSK (IAM
 * auth), with the file ledger in DynamoDB. After a deploy: the job's result
 * document says the three rows were delivered (the Kafka sink commits them
 * with the file's last transaction before the document is written). Reading
 * the topic needs the brokers' VPC: the README's consumer on the bastion.
 */
import { BATCH_WAIT, integApp, ORDERS_CSV, ORDERS_ROWS, PipelineInteg, synthIntegApp } from './pipeline-integ';
import { BatchKafkaStack } from '../../examples/batch-kafka/stack';

const app = integApp();
const test = new PipelineInteg(app, 'BatchKafka', new BatchKafkaStack(app, 'BatchKafkaPipelineInteg'));

const key = 'incoming/integ/orders.csv';
test.upload(key, ORDERS_CSV);
test.awaitResult(key, { status: 'succeeded', rows: ORDERS_ROWS, rowsRejected: 0 }, BATCH_WAIT);

synthIntegApp(app);
