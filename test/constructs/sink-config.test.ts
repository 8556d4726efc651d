import * as fs from 'fs';
import * as path from 'path';
import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { logicalIdOf, processorEnvironment } from './helpers';
import { BoundLambdaProcessor, CdkPipeline, CdkPipelineProps, ColumnType, Sink } from '../../src';
import { ENV } from '../../src/shared/env';

/** Issue 7, bug 8: the sink configuration travels in a layer file, not in Lambda's 4 KB environment. */

const wideTable = (columns: number) => Sink.postgresTable({
  table: 'measurements',
  columns: Array.from({ length: columns }, (_, i) => ({ name: `reading_${String(i).padStart(3, '0')}`, dataType: ColumnType.numeric(12, 2) })),
});

function synth(props: CdkPipelineProps = {}) {
  const app = new App();
  const stack = new Stack(app, 'S', { env: { account: '111111111111', region: 'eu-west-1' } });
  const pipeline = new CdkPipeline(stack, 'P', { bastion: false, ...props });
  const assembly = app.synth();
  const template = Template.fromJSON(assembly.getStackByName('S').template);
  const layerId = logicalIdOf(template, 'AWS::Lambda::LayerVersion');
  const layer = template.findResources('AWS::Lambda::LayerVersion')[layerId] as any;
  const hash = String(layer.Properties.Content.S3Key).replace(/\.zip$/, '');
  /** The layer's sinks.json as synthesized into the cloud assembly. */
  const layerFile = () => fs.readFileSync(path.join(assembly.directory, `asset.${hash}`, 'cdk-data-pipeline', 'sinks.json'), 'utf8');
  return { stack, pipeline, template, layerId, layer, hash, layerFile };
}

/** Keys plus literal values, the way Lambda counts its 4 KB (deploy-time values counted as 128 bytes). */
function environmentBytes(env: Record<string, unknown>): number {
  return Object.entries(env).reduce((sum, [k, v]) => sum + k.length + (typeof v === 'string' ? Buffer.byteLength(v) : 128), 0);
}

test('a 300-column table: synth succeeds, the environment stays small and the layer file holds the whole configuration', () => {
  const sink = wideTable(300);
  const { template, layerId, layerFile } = synth({ sinks: [sink] });
  const env = processorEnvironment(template);
  expect(Object.keys(env)).not.toContain(ENV.SINKS);
  expect(env[ENV.SINKS_FILE]).toBe('/opt/cdk-data-pipeline/sinks.json');
  expect(environmentBytes(env)).toBeLessThan(1500);

  const shipped = JSON.parse(layerFile());
  expect(shipped).toEqual([JSON.parse(sink.bind(new Stack(), undefined as any).json)]);
  expect(shipped[0].columns).toHaveLength(300);
  expect(Buffer.byteLength(layerFile())).toBeGreaterThan(4096);

  template.hasResourceProperties('AWS::Lambda::Function', {
    Description: Match.stringLikeRegexp('^cdk-data-pipeline processor'),
    Layers: [{ Ref: layerId }],
  });
});

test('without sinks the layer holds an empty list, for the processor and the deploy-time migration alike', () => {
  const { template, layer, layerFile, pipeline } = synth();
  expect(JSON.parse(layerFile())).toEqual([]);
  expect(layer.Properties.CompatibleRuntimes).toEqual(['nodejs24.x']);
  expect(layer.Properties.CompatibleArchitectures).toEqual(['arm64']);
  expect(processorEnvironment(template)[ENV.SINKS_FILE]).toBe('/opt/cdk-data-pipeline/sinks.json');
  expect(pipeline.processor.migrationFunction).toBe((pipeline.processor as BoundLambdaProcessor).function);
});

test('the layer\'s asset hash is deterministic: the same configuration gives the same hash, another one a new hash', () => {
  const a = synth({ sinks: [wideTable(80)] });
  const b = synth({ sinks: [wideTable(80)] });
  const c = synth({ sinks: [wideTable(81)] });
  expect(a.hash).toMatch(/^[a-f0-9]{64}$/);
  expect(b.hash).toBe(a.hash);
  expect(c.hash).not.toBe(a.hash);
});

test('an environment over 4 KB fails the synth with what to change, even when added after the pipeline', () => {
  const app = new App();
  const stack = new Stack(app, 'S', { env: { account: '111111111111', region: 'eu-west-1' } });
  const pipeline = new CdkPipeline(stack, 'P', { bastion: false });
  (pipeline.processor as BoundLambdaProcessor).function.addEnvironment('EXTRA_SETTINGS', 'x'.repeat(3600));
  expect(() => app.synth()).toThrow(/the environment of the processor function takes about \d{4} bytes \(keys and values; each deploy-time value counted as 128\) and Lambda allows 4096 in all, so the deployment would fail\. Largest: EXTRA_SETTINGS \(3614 bytes\)/);
});

test('an environment just under 4 KB synthesizes', () => {
  const app = new App();
  const stack = new Stack(app, 'S', { env: { account: '111111111111', region: 'eu-west-1' } });
  const pipeline = new CdkPipeline(stack, 'P', { bastion: false });
  (pipeline.processor as BoundLambdaProcessor).function.addEnvironment('EXTRA_SETTINGS', 'x'.repeat(2000));
  expect(() => app.synth()).not.toThrow();
});
