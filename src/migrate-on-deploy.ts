import { Duration } from 'aws-cdk-lib';
import * as triggers from 'aws-cdk-lib/triggers';
import { Construct, IConstruct } from 'constructs';
import { IBoundProcessor } from './processor';

/**
 * Invokes the processor's migration function once per deployment (and again
 * when its code or configuration changes), after `executeAfter`. Refuses to
 * skip it silently when the processor has none.
 *
 * @internal
 */
export function addMigrationOnDeploy(scope: Construct, processor: IBoundProcessor, executeAfter: IConstruct[]): triggers.Trigger {
  const handler = processor.migrationFunction;
  if (!handler) {
    throw new Error('migrateOnDeploy is true but the processor provides no migrationFunction to run at deploy time: '
      + 'set migrateOnDeploy: false (the tables are then created when the first file arrives), or use a processor that provides one');
  }
  return new triggers.Trigger(scope, 'MigrateOnDeploy', {
    handler,
    timeout: Duration.minutes(5),
    invocationType: triggers.InvocationType.REQUEST_RESPONSE,
    executeOnHandlerChange: true,
    executeAfter,
  });
}
