/** Public API of the records module: schemas, canonical JSON, field trees and disclosure, log entries, EIP-712. */
export * from './errors';
export * from './canonical';
export * from './hex';
export * from './identifiers';
export * from './schemas';
export * from './field-tree';
export * from './log-entry';
export * from './eip712';
export * from './record-types';
export * from './time';
export * from './disclosure';

// The Node entry to records: verification here runs on the native primitives (OpenSSL SHA-256,
// keccak-256 in WebAssembly, libsecp256k1). The browser imports the isomorphic files directly and keeps @noble.
import '../crypto/native';
