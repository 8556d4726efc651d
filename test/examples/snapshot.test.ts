import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { EXAMPLES } from './registry';

/**
 * Replaces what changes with every runtime edit by placeholders: asset
 * hashes, and the code hash in the logical ID of the function's current version.
 */
function stripAssetHashes(template: unknown): unknown {
  return JSON.parse(JSON.stringify(template)
    .replace(/[a-f0-9]{64}(\.zip|\.json)?/g, 'ASSET_HASH$1')
    .replace(/(CurrentVersion[A-F0-9]{8})[a-f0-9]{32}/g, '$1CODE_HASH'));
}

test.each(EXAMPLES)('examples/%s template snapshot (asset hashes stripped)', (_name, build) => {
  const stack = build(new App(), { account: '111111111111', region: 'us-east-1' });
  expect(stripAssetHashes(Template.fromStack(stack).toJSON())).toMatchSnapshot();
});
