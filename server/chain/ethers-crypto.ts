/** Makes ethers hash with the native keccak-256 the rest of the server uses (server/crypto/native): same digests, faster. */
import { keccak256 } from 'ethers';
import { nativeKeccakAvailable, nativePrimitives } from '../crypto/native';

if (nativeKeccakAvailable) keccak256.register((data: Uint8Array) => nativePrimitives.keccak256(data));
