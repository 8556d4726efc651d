export * from './column-type';
export * from './sink';
