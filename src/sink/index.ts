export * from './column-type';
export * from './sink';
export * from './kafka-sink';
export * from './report-sink';
export * from './measure';
