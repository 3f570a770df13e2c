/** The verification core: one verifier for the server, the CLI and the browser (isomorphic). */
export * from './bundle';
export * from './chain';
export * from './messages';
export * from './verify';
export * from './batch';
export * from './claim';
export * from './json-rpc';
