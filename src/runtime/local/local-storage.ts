/** ResultStorage in a local directory (CLI), same layout as the S3 buckets. */
import * as fs from 'fs';
import * as path from 'path';
import { Readable } from 'stream';
import { pipeline } from 'stream/promises';
import { FileRef } from '../contract/source';
import { backupKey, rejectsKey, reportKey, ResultDocument, resultKey, ResultStorage } from '../contract/storage';
import { localResultReader } from '../report/result-readers';

export class LocalStorage implements ResultStorage {
  public readonly readResult: (key: string) => Promise<ResultDocument | undefined>;

  constructor(private readonly root: string) {
    this.readResult = localResultReader(root) as (key: string) => Promise<ResultDocument | undefined>;
  }

  async writeResult(file: FileRef, result: ResultDocument): Promise<string> {
    return this.write(resultKey(file.key), JSON.stringify(result, null, 2) + '\n');
  }

  async writeRejects(file: FileRef, csv: string): Promise<string> {
    return this.write(rejectsKey(file.key), csv);
  }

  async writeReport(name: string, report: object): Promise<string> {
    return this.write(reportKey(name), JSON.stringify(report, null, 2) + '\n');
  }

  async deleteRejects(file: FileRef): Promise<void> {
    await fs.promises.rm(this.target(rejectsKey(file.key)), { force: true });
  }

  async backup(file: FileRef, _sizeBytes: number, open: () => Promise<Readable>, at: Date): Promise<string> {
    const target = this.target(backupKey(file.key, at));
    await fs.promises.mkdir(path.dirname(target), { recursive: true });
    await pipeline(await open(), fs.createWriteStream(target));
    return target;
  }

  private async write(key: string, content: string): Promise<string> {
    const target = this.target(key);
    await fs.promises.mkdir(path.dirname(target), { recursive: true });
    await fs.promises.writeFile(target, content);
    return target;
  }

  /** Keys come from file names; refuse any that would escape the output directory. */
  private target(key: string): string {
    const root = path.resolve(this.root);
    const target = path.resolve(root, key);
    if (!target.startsWith(root + path.sep)) throw new Error(`Refusing to write outside ${root}: ${key}`);
    return target;
  }
}
