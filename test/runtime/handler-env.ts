/**
 * The process around a Lambda handler under test: the environment the
 * construct sets (plus moto's endpoint), console.log silenced and stdout
 * (where the handler writes its EMF metrics) sent to `onStdout`; `leave()`
 * puts everything back and closes the handler's shared runtime.
 */
import { sharedRuntime } from '../../src/runtime/entry/lambda-runtime';
import { motoEndpoint } from '../support/moto';

export function handlerEnvironment() {
  const saved = { ...process.env };
  const realWrite = process.stdout.write.bind(process.stdout);
  return {
    enter(env: Record<string, string>, onStdout: (chunk: string) => void = () => undefined): void {
      Object.assign(process.env, env, { AWS_ENDPOINT_URL: motoEndpoint() });
      jest.spyOn(console, 'log').mockImplementation(() => undefined);
      process.stdout.write = ((chunk: string) => { onStdout(String(chunk)); return true; }) as typeof process.stdout.write;
    },
    async leave(): Promise<void> {
      process.stdout.write = realWrite;
      await sharedRuntime().close();
      process.env = saved;
    },
  };
}
