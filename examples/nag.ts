import { App } from 'aws-cdk-lib';
import { AwsSolutionsChecks, HIPAASecurityChecks, NagPack, NIST80053R5Checks, PCIDSS321Checks, ServerlessChecks } from 'cdk-nag';

/** The cdk-nag packs every example is checked with. */
export const NAG_PACKS: Array<() => NagPack> = [
  () => new AwsSolutionsChecks(),
  () => new HIPAASecurityChecks(),
  () => new NIST80053R5Checks(),
  () => new PCIDSS321Checks(),
  () => new ServerlessChecks(),
];

/**
 * Runs cdk-nag's AwsSolutions, HIPAA Security, NIST 800-53 R5, PCI DSS 3.2.1
 * and Serverless packs over the whole app, prints every finding and fails
 * the synth when there is one. The pipeline acknowledges the findings it
 * cannot fix itself (see `pipeline.nagAcknowledgments`).
 * (`Validations.of(app).addPlugins()` is the cdk-nag 3 way once aws-cdk-lib
 * hands plugins the construct tree; `validateScope` works with every 2.257+.)
 */
export function synthWithNag(app: App): void {
  let count = 0;
  for (const pack of NAG_PACKS) {
    const report = pack().validateScope(app);
    for (const v of report.violations) {
      const where = v.violatingResources.map((r) => r.constructPath ?? r.resourceLogicalId).join(', ');
      console.error(`[cdk-nag] ${v.ruleName} at ${where}: ${v.description}`);
    }
    count += report.violations.length;
  }
  if (count > 0) {
    process.exitCode = 1;
    throw new Error(`${count} unacknowledged cdk-nag finding(s); see above`);
  }
  app.synth();
}
