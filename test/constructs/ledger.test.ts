/**
 * `Ledger.dynamoDb()`: a pipeline without a database (no RDS, database VPC,
 * peering, secret or bastion), its table, the processor's least-privilege
 * access to it, the endpoints that follow, and the props it refuses.
 */
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { logicalIdOf, processorEnvironment, statementsOfRole, synthPipeline } from './helpers';
import { ColumnType, Ledger, LedgerBindOptions, LedgerConfig, Processor, Sink } from '../../src';
import { ENV } from '../../src/shared/env';

const LEDGER_ACTIONS = ['dynamodb:ConditionCheckItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:UpdateItem'];

/** The statement of the role that grants the table's item actions. */
function tableStatement(template: Template, roleId: string): any {
  const found = statementsOfRole(template, roleId).filter((s) => [s.Action].flat().some((a: string) => a.startsWith('dynamodb:')));
  expect(found).toHaveLength(1);
  return found[0];
}

describe('Ledger.dynamoDb()', () => {
  const { pipeline, template } = synthPipeline({ ledger: Ledger.dynamoDb() });

  test('creates no database, secret, bastion, peering or second VPC', () => {
    for (const type of ['AWS::RDS::DBInstance', 'AWS::SecretsManager::Secret', 'AWS::EC2::VPCPeeringConnection', 'AWS::EC2::Instance']) {
      template.resourceCountIs(type, 0);
    }
    template.resourceCountIs('AWS::EC2::VPC', 1);
    expect(pipeline.database).toBeUndefined();
    expect(pipeline.databaseVpc).toBeUndefined();
    expect(pipeline.bastion).toBeUndefined();
  });

  test('the table: on demand, encrypted with the pipeline key, point-in-time recovery, TTL, retained', () => {
    const keyId = logicalIdOf(template, 'AWS::KMS::Key');
    template.hasResource('AWS::DynamoDB::Table', {
      DeletionPolicy: 'Retain',
      Properties: Match.objectLike({
        BillingMode: 'PAY_PER_REQUEST',
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }, { AttributeName: 'sk', KeyType: 'RANGE' }],
        SSESpecification: { SSEEnabled: true, SSEType: 'KMS', KMSMasterKeyId: { 'Fn::GetAtt': [keyId, 'Arn'] } },
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
        DeletionProtectionEnabled: true,
      }),
    });
    expect(pipeline.ledgerTable).toBeDefined();
  });

  test('the processor finds the table through its environment, and has no database variables', () => {
    const env = processorEnvironment(template);
    expect(env[ENV.LEDGER_TABLE]).toEqual({ Ref: logicalIdOf(template, 'AWS::DynamoDB::Table') });
    expect(env[ENV.DB_SECRET_ARN]).toBeUndefined();
  });

  test("the processor's role may use the ledger's item actions on this table only", () => {
    const tableId = logicalIdOf(template, 'AWS::DynamoDB::Table');
    const roleId = logicalIdOf(template, 'AWS::IAM::Role', { Description: Match.stringLikeRegexp('processor') });
    const statement = tableStatement(template, roleId);
    expect([statement.Action].flat().sort()).toEqual(LEDGER_ACTIONS);
    expect([statement.Resource].flat()).toEqual([{ 'Fn::GetAtt': [tableId, 'Arn'] }]);
  });

  test('DynamoDB is reached through a gateway endpoint; there is no Secrets Manager endpoint', () => {
    template.hasResourceProperties('AWS::EC2::VPCEndpoint', {
      VpcEndpointType: 'Gateway',
      ServiceName: { 'Fn::Join': ['', ['com.amazonaws.', { Ref: 'AWS::Region' }, '.dynamodb']] },
    });
    const services = Object.values(template.findResources('AWS::EC2::VPCEndpoint')).map((e: any) => JSON.stringify(e.Properties.ServiceName));
    expect(services.some((s) => s.includes('secretsmanager'))).toBe(false);
  });
});

test('a container processor without a database has no migration function and no deploy-time migration', () => {
  const { pipeline, template } = synthPipeline({ ledger: Ledger.dynamoDb(), processor: Processor.batch() });
  expect(pipeline.processor.migrationFunction).toBeUndefined();
  expect(Object.keys(template.findResources('AWS::Lambda::Function')).filter((id) => /Migrat/.test(id))).toEqual([]);
  expect(Object.keys(template.toJSON().Resources).filter((id) => /Migrat/.test(id))).toEqual([]);
});

/** `Ledger.dynamoDb({ table })` with a table imported into the pipeline's stack. */
class OwnTableLedger extends Ledger {
  private inner?: Ledger;
  public bind(scope: Construct, options: LedgerBindOptions): LedgerConfig {
    this.inner = Ledger.dynamoDb({ table: dynamodb.Table.fromTableArn(scope, 'OwnLedger', 'arn:aws:dynamodb:eu-west-1:111111111111:table/existing-ledger') });
    return this.inner.bind(scope, options);
  }
  public grantProcessor(grantee: iam.IGrantable): void {
    this.inner!.grantProcessor(grantee);
  }
}

test('your own table: none is created, the processor is given its name, and the grant names it', () => {
  const { template } = synthPipeline({ ledger: new OwnTableLedger() });
  template.resourceCountIs('AWS::DynamoDB::Table', 0);
  expect(processorEnvironment(template)[ENV.LEDGER_TABLE]).toBe('existing-ledger');
  const roleId = logicalIdOf(template, 'AWS::IAM::Role', { Description: Match.stringLikeRegexp('processor') });
  expect([tableStatement(template, roleId).Resource].flat()).toEqual(['arn:aws:dynamodb:eu-west-1:111111111111:table/existing-ledger']);
});

describe('refused with Ledger.dynamoDb()', () => {
  test('a table sink, which writes in the PostgreSQL ledger\'s transaction', () => {
    expect(() => synthPipeline({
      ledger: Ledger.dynamoDb(),
      sinks: [Sink.postgresTable({ table: 'orders', columns: [{ name: 'id', dataType: ColumnType.BIGINT }] })],
    })).toThrow(/sinks\[0\] \(postgresTable\) writes into the PostgreSQL database.*needs ledger: Ledger\.postgres\(\)/);
  });

  test('database props, named; bastion props without bastion: true', () => {
    expect(() => synthPipeline({ ledger: Ledger.dynamoDb(), multiAz: false, databaseName: 'x' }))
      .toThrow(/^databaseName, multiAz configure the database, but with ledger: Ledger\.dynamoDb\(\)/);
    expect(() => synthPipeline({ ledger: Ledger.dynamoDb(), bastionSshCidr: '203.0.113.0/24' }))
      .toThrow(/^bastionSshCidr configures the bastion, which a pipeline without a database has only when asked for: set bastion: true/);
    expect(() => synthPipeline({ ledger: Ledger.dynamoDb(), bastion: false, migrateOnDeploy: false })).not.toThrow();
  });

  test('bastion: true gives a pipeline without a database its bastion (to reach brokers in the VPC), and no database rule', () => {
    const { pipeline, template } = synthPipeline({ ledger: Ledger.dynamoDb(), bastion: true });
    expect(pipeline.bastion).toBeDefined();
    template.resourceCountIs('AWS::EC2::Instance', 1);
    template.resourceCountIs('AWS::RDS::DBInstance', 0);
  });

  test('one ledger bound to two pipelines', () => {
    const ledger = Ledger.dynamoDb();
    synthPipeline({ ledger });
    expect(() => synthPipeline({ ledger })).toThrow(/already bound to a pipeline/);
  });
});

test('Ledger.postgres() is the default: the same template', () => {
  const implicit = synthPipeline().template.toJSON();
  const explicit = synthPipeline({ ledger: Ledger.postgres() }).template.toJSON();
  expect(explicit).toEqual(implicit);
});
