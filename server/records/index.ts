/** Public API of the records module: schemas, canonical JSON, field trees and disclosure, log entries, EIP-712. */
export * from './errors';
export * from './canonical';
export * from './hex';
export * from './identifiers';
export * from './schemas';
export * from './field-tree';
export * from './log-entry';
export * from './eip712';
