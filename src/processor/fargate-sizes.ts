/**
 * Fargate's task sizes: for each CPU value (in CPU units, 1024 = 1 vCPU),
 * the memory range in MiB and its step.
 */
const FARGATE_SIZES: ReadonlyArray<{ cpu: number; min: number; max: number; step: number }> = [
  { cpu: 256, min: 512, max: 2048, step: 512 },
  { cpu: 512, min: 1024, max: 4096, step: 1024 },
  { cpu: 1024, min: 2048, max: 8192, step: 1024 },
  { cpu: 2048, min: 4096, max: 16384, step: 1024 },
  { cpu: 4096, min: 8192, max: 30720, step: 1024 },
  { cpu: 8192, min: 16384, max: 61440, step: 4096 },
  { cpu: 16384, min: 32768, max: 122880, step: 8192 },
];

/**
 * Throws unless `cpu` and `memoryLimitMiB` are a task size Fargate offers;
 * the message lists the memory values allowed with that CPU.
 *
 * @internal
 */
export function validateFargateSize(factory: string, cpu: number, memoryLimitMiB: number): void {
  const size = FARGATE_SIZES.find((s) => s.cpu === cpu);
  if (!size) {
    throw new Error(`${factory}: cpu must be one of ${FARGATE_SIZES.map((s) => s.cpu).join(', ')} CPU units (got ${cpu})`);
  }
  // 256 CPU units allow 512, 1024 and 2048 only (no 1536).
  const allowed = cpu === 256 ? [512, 1024, 2048] : range(size.min, size.max, size.step);
  if (!allowed.includes(memoryLimitMiB)) {
    throw new Error(`${factory}: memoryLimitMiB ${memoryLimitMiB} is not a Fargate size for cpu ${cpu}: `
      + `use ${size.min} to ${size.max} MiB in steps of ${cpu === 256 ? 'powers of two' : size.step} (${allowed[0]}, ${allowed[1]}, ...)`);
  }
}

function range(min: number, max: number, step: number): number[] {
  const values: number[] = [];
  for (let v = min; v <= max; v += step) values.push(v);
  return values;
}
