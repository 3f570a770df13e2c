/** Turns failures of registry transactions into AppErrors: a contract's custom error names the rule broken. */
import { decodeRegistryRevert } from '../chain/registry';
import { AppError, type ErrorCode } from '../errors';

/** Custom errors of ParticipantRegistry and RevocationRegistry, and the code each answers with. */
const REVERT_CODES: Readonly<Record<string, ErrorCode>> = {
  ParticipantRegistryDuplicateParticipant: 'conflict',
  ParticipantRegistryDuplicateKey: 'conflict',
  ParticipantRegistryRevokedKey: 'conflict',
  RevocationRegistryAlreadyRevoked: 'conflict',
  // The mirror saw a designation in force that the chain had already ended (block time ran ahead of the clock).
  ParticipantRegistryNoSpotCheckDesignation: 'conflict',
  ParticipantRegistryProductKeyTaken: 'product-key-taken',
  ParticipantRegistryProductKeyOverlaps: 'product-key-taken',
  ParticipantRegistryInvalidProductKey: 'invalid-input',
  ParticipantRegistryUnknownParticipant: 'not-found',
  ParticipantRegistryUnknownKey: 'not-found',
  ParticipantRegistryRevokedParticipant: 'participant-revoked',
  ParticipantRegistryUnexpectedKind: 'invalid-input',
  ParticipantRegistryEmptyName: 'invalid-input',
  ParticipantRegistryInvalidCmaNumber: 'invalid-input',
  ParticipantRegistryInvalidCreditCode: 'invalid-input',
  ParticipantRegistryInvalidWindow: 'invalid-input',
  ParticipantRegistryWindowStartsInPast: 'window-starts-in-past',
  ParticipantRegistryInvalidSigner: 'invalid-input',
  ParticipantRegistryInvalidParticipantId: 'invalid-input',
  // The operator's key lacks a role: the deployment is misconfigured for this operation.
  AccessControlUnauthorizedAccount: 'forbidden',
  ParticipantRegistryUnauthorizedRevoker: 'forbidden',
  RevocationRegistryUnauthorizedRevoker: 'forbidden',
  // A signed revocation the contract refuses: past its deadline, or not a well-formed signature.
  RevocationRegistryExpiredSignature: 'bad-signature',
  ECDSAInvalidSignature: 'bad-signature',
  ECDSAInvalidSignatureLength: 'bad-signature',
  ECDSAInvalidSignatureS: 'bad-signature',
};

/** ethers error codes that mean the node could not be reached. */
const UNREACHABLE = new Set(['NETWORK_ERROR', 'TIMEOUT', 'ECONNREFUSED', 'ECONNRESET']);

interface EthersLikeError {
  code?: string;
  revert?: { name?: string; args?: readonly unknown[] } | null;
  data?: unknown;
  info?: { error?: { data?: unknown } };
  error?: { data?: unknown };
  shortMessage?: string;
  cause?: unknown;
}

/** Runs a registry transaction; a revert with a known custom error becomes an AppError naming it. */
export async function onChain<T>(what: string, tx: () => Promise<T>): Promise<T> {
  try {
    return await tx();
  } catch (e) {
    throw toAppError(what, e);
  }
}

function toAppError(what: string, e: unknown): unknown {
  if (e instanceof AppError) return e;
  const err = e as EthersLikeError;
  const revert = err.revert ?? decodeRegistryRevert(err.data ?? err.info?.error?.data ?? err.error?.data);
  const name = revert?.name;
  const code = name === undefined ? undefined : REVERT_CODES[name];
  if (name && code) {
    const args = (revert?.args ?? []).map(String).join(', ');
    return new AppError(code, `${what} refused by the chain: ${name}(${args})`, { revert: name }, { cause: e });
  }
  const causeCode = (err.cause as { code?: string } | undefined)?.code;
  if ((err.code && UNREACHABLE.has(err.code)) || (causeCode && UNREACHABLE.has(causeCode))) {
    return new AppError('unavailable', `${what} failed: the chain node is unreachable`, undefined, { cause: e });
  }
  return e;
}
