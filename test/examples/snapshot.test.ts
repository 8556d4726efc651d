import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { LambdaMetadataStack } from '../../examples/lambda-metadata/stack';

/** Replaces asset hashes (which change with every runtime edit) by a placeholder. */
function stripAssetHashes(template: unknown): unknown {
  return JSON.parse(JSON.stringify(template).replace(/[a-f0-9]{64}(\.zip|\.json)?/g, 'ASSET_HASH$1'));
}

test('examples/lambda-metadata template snapshot (asset hashes stripped)', () => {
  const app = new App();
  const stack = new LambdaMetadataStack(app, 'LambdaMetadataPipeline', {
    email: 'ops@example.com',
    env: { account: '111111111111', region: 'us-east-1' },
  });
  expect(stripAssetHashes(Template.fromStack(stack).toJSON())).toMatchSnapshot();
});
