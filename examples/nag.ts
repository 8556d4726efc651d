import { App } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';

/**
 * Runs cdk-nag's AwsSolutions pack over the whole app, prints every finding
 * and fails the synth when there is one. The pipeline acknowledges the
 * findings it cannot fix itself (see `pipeline.nagAcknowledgments`).
 * (`Validations.of(app).addPlugins()` is the cdk-nag 3 way once aws-cdk-lib
 * hands plugins the construct tree; `validateScope` works with every 2.257+.)
 */
export function synthWithNag(app: App): void {
  const report = new AwsSolutionsChecks().validateScope(app);
  for (const v of report.violations) {
    const where = v.violatingResources.map((r) => r.constructPath ?? r.resourceLogicalId).join(', ');
    console.error(`[cdk-nag] ${v.ruleName} at ${where}: ${v.description}`);
  }
  if (report.violations.length > 0) {
    process.exitCode = 1;
    throw new Error(`${report.violations.length} unacknowledged cdk-nag finding(s); see above`);
  }
  app.synth();
}
