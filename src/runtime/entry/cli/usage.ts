/** Help text of the CLI; kept beside the option table in ./args.ts. */
export const DEFAULT_OUTPUT_DIR = 'cdk-data-pipeline-output';

export const MAIN_USAGE = `Usage: cdk-data-pipeline <command> [options]

Commands:
  process <file.csv>   Process a local CSV file exactly as the deployed pipeline would
  run --bucket B --key K | --prefix P
                       Process S3 objects with the processor's environment
                       (the command the container image runs)
  status               Recent files of the pipeline's ledger (PostgreSQL or DynamoDB)
  reprocess --bucket B --key K | --failed
                       Process versions again on purpose (rows replaced, never doubled)
  help                 Show this help

Exit status: 0 succeeded or duplicate, 1 a file failed, 2 usage error,
75 interrupted (SIGTERM/SIGINT): run the same command again.

Run "cdk-data-pipeline <command> --help" for the options of a command.
`;

export const PROCESS_USAGE = `Usage: cdk-data-pipeline process <file.csv> [options]

Processes a local CSV file with the same code the pipeline runs in AWS: records
it in file_metadata (bucket "local", key = file name, version = SHA-256 of the
content), counts its rows, and writes the result, a backup and any rejected
rows under the output directory. No notification is sent. Prints one JSON
object (status: succeeded | failed | duplicate) on stdout. A file whose
content was processed before is a duplicate (whatever the table): the JSON
"reason" and stderr say when; --force processes it again, replacing the rows
it loaded before.

Options:
  --database-url <url>   PostgreSQL URL (default: $DATABASE_URL)
  -o, --output-dir <dir> Where results/, backup/ and rejects/ go
                         (default: ./${DEFAULT_OUTPUT_DIR})
  --ssl <mode>           verify-full (default) or disable (local servers only);
                         default from $PIPELINE_DB_SSL, then the URL's sslmode
  --ca-file <path>       PEM bundle to verify the server with
                         (default: the Amazon RDS CA bundle)
  -c, --config <file>    Load the rows into a table described by a JSON file:
                         {"table": "orders", "columns": [{"name": "id",
                         "type": "bigint", "nullable": false}, ...],
                         "badRows": "FAIL_FILE" | "SKIP_AND_REPORT",
                         "extraColumns": "IGNORE" | "REJECT",
                         "previousVersions": "REPLACE" | "APPEND",
                         "parallelism": 1-64}
  --table <name>         ...or describe it with flags: the table,
  --column <n:type[:not-null]>  one per column (repeat),
  --schema <name>        its schema (default public),
  --bad-rows <policy>    FAIL_FILE (default) or SKIP_AND_REPORT,
  --extra-columns <p>    IGNORE (default) or REJECT,
  --previous-versions <p> REPLACE (default: a changed file under the same
                         name replaces the rows of the earlier one) or APPEND
  --parallelism <n>      COPY through n connections (1-64, default 1); the
                         file still becomes visible in one commit
  --checkpoint-every <n> Commit every n rows with a checkpoint, so an interrupted
                         run resumes after the last one; 0 = one transaction
                         per file (default: $PIPELINE_CHECKPOINT_EVERY, else 0)
  --part <i/N>           Load part i of N of the file (0 to N-1; N from 2 to
                         10000): start the same command N times, with --part
                         0/N ... N-1/N, on one machine or many. Each part
                         commits its own records (invisible to readers); the
                         last part to finish commits the whole file in one
                         transaction, and readers never see part of it. A
                         killed part is run again with the same command and
                         loads its records once; rejected rows
                         (SKIP_AND_REPORT) go to one rejects file. One table
                         sink only; the table is created partitioned by
                         file (as with --parallelism 2 or more)
  --kafka-brokers <host:port[,host:port...]>
  --kafka-topic <topic>  Also send every row, in file order, to this Kafka
                         topic (as JSON; it must exist). A --config file may
                         list Kafka sinks too: {"sinks": [{"kind": "kafka",
                         "topic": "orders", "brokers": ["localhost:9092"],
                         "auth": {"mechanism": "plaintext"}}, ...]}
  --kafka-key-column <c> Message key: this column (default: file and line)
  --kafka-at-least-once  At least once (duplicates after a crash, at most one
                         checkpoint's rows) instead of exactly once for
                         read_committed consumers (Kafka transactions)
  --kafka-auth <m>       plaintext (default), tls, scram-sha-512, mtls or iam
  --kafka-secret-arn <a> Secrets Manager secret of scram-sha-512
                         ({"username","password"}) or mtls
                         ({"certificate","privateKey"})
  --kafka-ca-file <path> PEM of the CA the brokers' certificates chain to
  --kafka-region <r>     Region of the MSK cluster (iam)
  --kafka-checkpoint-every <n>  Rows per Kafka transaction and checkpoint
                         (default 10000); the topic's checkpoint records go
                         to <topic>.checkpoints, created when missing
  --force                Process the file even if it was processed before
  -v, --verbose          Log progress to stderr
  -h, --help             Show this help

Exit status: 0 succeeded or duplicate, 1 the file failed, 2 usage error.

Examples:
  cdk-data-pipeline process orders.csv \\
    --database-url postgres://postgres@localhost:5432/postgres --ssl disable
  cdk-data-pipeline process orders.csv --database-url $DATABASE_URL --ssl disable \\
    --table orders --column id:bigint:not-null --column amount:numeric(12,2) \\
    --bad-rows SKIP_AND_REPORT
  cdk-data-pipeline process orders.csv --database-url $DATABASE_URL --ssl disable \\
    --kafka-brokers localhost:9092 --kafka-topic orders --kafka-key-column id
  for i in 0 1 2 3; do cdk-data-pipeline process big.csv --database-url $DATABASE_URL \\
    --ssl disable --config orders.json --part $i/4 & done; wait
`;

export const RUN_USAGE = `Usage: cdk-data-pipeline run --bucket <bucket> --key <key> [--version-id <id>]
                             [--sequencer <hex>] [--checkpoint-every <n>] [--part <i/N>] [--force]
       cdk-data-pipeline run --bucket <bucket> --prefix <prefix> [--date <date|time>]
                             [--time-zone <zone>] [--days-before <n>]
                             [--suffix <suffix>] [--checkpoint-every <n>] [--force]

Processes S3 objects exactly as the pipeline's processor does: the command
the container image runs (ENTRYPOINT cdk-data-pipeline, CMD run), and the way
to reproduce a container run on a laptop. Each file is claimed in
file_metadata, loaded into the configured sinks in one transaction, backed
up, its result written to the output bucket and its outcome published.

  --key      one object: its current version, or --version-id's.
  --prefix   every object under the prefix whose key ends with --suffix, one
             after the other, in key order. "{date}" in the prefix is replaced
             by --date (default $RUN_DATE, else today in --time-zone), so
             --prefix 'raw-data/{date}/' --date 2026-01-15 reads
             raw-data/2026-01-15/. Keys the pipeline wrote itself (results/,
             rejects/, reports/, backup/ of its buckets) are never processed.
             The run's report goes to the output bucket: reports/<date>.json
             (a rerun of the date replaces it), or for a prefix without
             {date} reports/<prefix, / as _>-<time>.json (the time --date
             gave, else the start, as 2026-01-15T02-00-00Z).

Options:
  --bucket <name>        The input bucket (required)
  --key <key>            The object to process
  --version-id <id>      That version of it (default: the current one; ""
                         is the same as leaving it out)
  --sequencer <hex>      The upload event's sequencer, which orders the
                         versions of the key ("" is the same as leaving it out)
  --prefix <prefix>      Process every object under this prefix
  --date <date|time>     Put in for {date} in --prefix: YYYY-MM-DD, or an
                         ISO 8601 time with a zone (a schedule's time, e.g.
                         2026-01-15T02:00:00Z), whose date in --time-zone is
                         used (default: $RUN_DATE, else today). A time is
                         accepted for a prefix without {date} too: it then
                         only names the report
  --time-zone <zone>     IANA time zone of that date, e.g. Europe/London
                         (default: UTC)
  --days-before <n>      Use the date n days before it (0-366, default 0):
                         a run at 02:00 with 1 reads the previous day's folder
  --suffix <suffix>      Only keys ending with it (default: $PIPELINE_SUFFIX,
                         else .csv; case-sensitive like S3's filters; "" for all)
  --checkpoint-every <n> Commit every n rows with a checkpoint, so an
                         interrupted file resumes after the last one; 0 = one
                         transaction per file (default:
                         $PIPELINE_CHECKPOINT_EVERY, else 0)
  --part <i/N>           With --key: load part i of N of the object (see
                         "process --help"); the last part to finish commits
                         it. In an AWS Batch array job the part comes from
                         $PIPELINE_PARTS (N) and $AWS_BATCH_JOB_ARRAY_INDEX (i)
  --force                Process versions already processed (succeeded or
                         failed on their content), replacing their rows
  -h, --help             Show this help

Environment (what the construct sets on the processor):
  PIPELINE_DB_SECRET_ARN   Secrets Manager secret of the database, or
  PIPELINE_DATABASE_URL    a PostgreSQL URL instead
  PIPELINE_DB_NAME, PIPELINE_DB_SSL, PIPELINE_DB_CA_FILE   optional
  PIPELINE_OUTPUT_BUCKET   results/, rejects/ and reports/ (required)
  PIPELINE_BACKUP_BUCKET   backup/ (required)
  PIPELINE_TOPIC_ARN       SNS topic for outcomes (optional)
  PIPELINE_SINKS or PIPELINE_SINKS_FILE   the table(s) to load (optional:
                           without them the rows are counted only)
  PIPELINE_CHECKPOINT_EVERY rows per checkpointed chunk (optional)
  PIPELINE_PARTS           parts per object of an array job (Processor.batch
                           arraySize); applies when AWS_BATCH_JOB_ARRAY_INDEX is set
  PIPELINE_NAME, PIPELINE_METRICS_NAMESPACE, PIPELINE_S3_FORCE_PATH_STYLE
  AWS_REGION, AWS credentials and AWS_ENDPOINT_URL as for any AWS SDK program

Output: one JSON line per file on stdout (status: succeeded | failed |
duplicate | interrupted | in-progress | superseded | gone), then for --prefix
a line {"summary": {files, succeeded, failed, duplicate, interrupted,
skipped, notStarted, rows, rowsRejected, exitCode, report, ...}}. Logs and metrics
(CloudWatch Embedded Metric Format) are JSON lines on stderr.

Exit status:
  0   every file succeeded or was a duplicate (or superseded, or deleted)
  1   a file failed (its JSON line and result say why), or a --prefix run
      could not list the prefix or write its report
  2   usage error: a flag or an environment variable (named) is wrong
  75  interrupted: SIGTERM or SIGINT stopped the run, or another version of
      the key is still being processed. Run the same command again: the open
      transaction was rolled back (nothing of the file is loaded), the file
      is marked for retry, and files already done are duplicates. Takes
      precedence over 1 in a --prefix run.

Signals: the first SIGTERM or SIGINT stops reading, rolls back, prints the
file's JSON with status "interrupted" and exits 75, within 30 s at most
(ECS allows up to 120 s before SIGKILL); a second one exits 75 at once.

Examples:
  cdk-data-pipeline run --bucket my-input --key raw-data/2026-01-15/orders.csv
  cdk-data-pipeline run --bucket my-input --key orders.csv --version-id 3HL4kqtJlcpXroDTDmJ.rmSpXd3dIbrHY --force
  RUN_DATE=2026-01-15 cdk-data-pipeline run --bucket my-input --prefix 'raw-data/{date}/'
  cdk-data-pipeline run --bucket my-input --prefix 'raw-data/{date}/' \\
    --date 2026-07-14T23:30:00Z --time-zone Europe/London     # reads raw-data/2026-07-15/
`;
