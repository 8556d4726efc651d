import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';

/**
 * A role whose statements go to one customer-managed policy attached to it
 * instead of an inline default policy (the HIPAA, NIST 800-53 and PCI DSS
 * packs' IAMNoInlinePolicy). Grants, tracing and VPC wiring that call
 * `addToPrincipalPolicy()` all land in `policy`, which stays least-privilege:
 * it holds exactly what an inline policy would.
 *
 * @internal
 */
export class ManagedPolicyRole extends iam.Role {
  private managedPolicy?: iam.ManagedPolicy;

  constructor(scope: Construct, id: string, props: iam.RoleProps) {
    super(scope, id, props);
  }

  /** The role's managed policy (created with the first statement). */
  public get policy(): iam.ManagedPolicy | undefined {
    return this.managedPolicy;
  }

  public addToPrincipalPolicy(statement: iam.PolicyStatement): iam.AddToPrincipalPolicyResult {
    if (!this.managedPolicy) {
      this.managedPolicy = new iam.ManagedPolicy(this, 'Policy', {
        description: `Permissions of ${this.node.path}`,
        roles: [this],
      });
    }
    this.managedPolicy.addStatements(statement);
    return { statementAdded: true, policyDependable: this.managedPolicy };
  }
}
