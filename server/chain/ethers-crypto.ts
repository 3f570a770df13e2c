/** Makes ethers hash with the keccak-256 the rest of the server uses (server/crypto/native: WebAssembly or the binding): same digests, faster. */
import { keccak256 } from 'ethers';
import { nativeKeccakAvailable, nativePrimitives, wasmHashesAvailable } from '../crypto/native';

if (nativeKeccakAvailable || wasmHashesAvailable) keccak256.register((data: Uint8Array) => nativePrimitives.keccak256(data));
