/** The `Buffer` global that server/records/field-tree.ts and merkletreejs use, injected into the consoles' browser bundles. */
export { Buffer } from 'buffer';
