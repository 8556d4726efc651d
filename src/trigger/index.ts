export * from './trigger';
export { ScheduleTriggerOptions } from './schedule-trigger';
