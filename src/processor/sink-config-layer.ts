import * as crypto from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { AssetHashType } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';

/** Where the layer's file lands in the function (layers are extracted under /opt). */
export const SINKS_FILE_IN_LAYER = '/opt/cdk-data-pipeline/sinks.json';

/** Options of {@link SinkConfigLayer}. @internal */
export interface SinkConfigLayerProps {
  /** The sinks' configuration, a JSON array. */
  readonly json: string;
  /** The runtime of the functions that use the layer. */
  readonly runtime: lambda.Runtime;
  /** The architecture of the functions that use the layer. */
  readonly architecture: lambda.Architecture;
}

/**
 * A Lambda layer holding the sink configuration as one file,
 * {@link SINKS_FILE_IN_LAYER}. It keeps the configuration out of the
 * function's environment, which Lambda limits to 4 KB in all (80 numeric
 * columns already need more). Written at synth without Docker; the asset
 * hash is the hash of the JSON, so it changes only with the configuration.
 *
 * @internal
 */
export class SinkConfigLayer extends Construct {
  /** The layer. */
  public readonly layer: lambda.LayerVersion;

  constructor(scope: Construct, id: string, props: SinkConfigLayerProps) {
    super(scope, id);
    const hash = crypto.createHash('sha256').update(props.json).digest('hex');
    this.layer = new lambda.LayerVersion(this, 'Layer', {
      description: `cdk-data-pipeline sink configuration (${SINKS_FILE_IN_LAYER})`,
      code: lambda.Code.fromAsset(stage(props.json, hash), { assetHash: hash, assetHashType: AssetHashType.CUSTOM }),
      compatibleRuntimes: [props.runtime],
      compatibleArchitectures: [props.architecture],
    });
  }
}

/**
 * Writes the layer's content to a directory named by its hash (reused by
 * later synths of the same configuration). The file is written beside its
 * final name and renamed, so parallel synths never see half a file.
 */
function stage(json: string, hash: string): string {
  const dir = path.join(os.tmpdir(), 'cdk-data-pipeline-sink-config', hash);
  const file = path.join(dir, path.relative('/opt', SINKS_FILE_IN_LAYER));
  if (!fs.existsSync(file) || fs.readFileSync(file, 'utf8') !== json) {
    fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o755 });
    const partial = `${file}.${process.pid}.${crypto.randomBytes(4).toString('hex')}`;
    fs.writeFileSync(partial, json, { mode: 0o644 });
    fs.renameSync(partial, file);
  }
  return dir;
}
