/** Help text of the CLI; kept beside the option table in ./args.ts. */
export const DEFAULT_OUTPUT_DIR = 'cdk-data-pipeline-output';

export const MAIN_USAGE = `Usage: cdk-data-pipeline <command> [options]

Commands:
  process <file.csv>   Process a local CSV file exactly as the deployed pipeline would
  help                 Show this help

Run "cdk-data-pipeline process --help" for the options of a command.
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
                         "previousVersions": "REPLACE" | "APPEND"}
  --table <name>         ...or describe it with flags: the table,
  --column <n:type[:not-null]>  one per column (repeat),
  --schema <name>        its schema (default public),
  --bad-rows <policy>    FAIL_FILE (default) or SKIP_AND_REPORT,
  --extra-columns <p>    IGNORE (default) or REJECT,
  --previous-versions <p> REPLACE (default: a changed file under the same
                         name replaces the rows of the earlier one) or APPEND
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
`;
