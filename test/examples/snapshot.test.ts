import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { EXAMPLES } from './registry';

/** Replaces asset hashes (which change with every runtime edit) by a placeholder. */
function stripAssetHashes(template: unknown): unknown {
  return JSON.parse(JSON.stringify(template).replace(/[a-f0-9]{64}(\.zip|\.json)?/g, 'ASSET_HASH$1'));
}

test.each(EXAMPLES)('examples/%s template snapshot (asset hashes stripped)', (_name, build) => {
  const stack = build(new App(), { account: '111111111111', region: 'us-east-1' });
  expect(stripAssetHashes(Template.fromStack(stack).toJSON())).toMatchSnapshot();
});
