/**
 * The CLI with the Kafka sink kind registered, for the tests that run it as
 * a child process, until src/runtime/core/sinks.ts builds it in.
 */
import { registerSinkFactory } from '../../../src/runtime/core/sinks';
import { createKafkaSink } from '../../../src/runtime/kafka';
import type { KafkaSinkConfig } from '../../../src/shared/kafka-sink-config';

registerSinkFactory('kafka', (config) => createKafkaSink(config as unknown as KafkaSinkConfig));
// After the registration: main starts the command as soon as it is loaded.
// eslint-disable-next-line @typescript-eslint/no-require-imports
require('../../../src/runtime/entry/cli/main');
