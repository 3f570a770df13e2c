// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/**
 * @dev Revocations (recalls) of log records, keyed by the record's RFC 6962 leaf hash and by the revoking party:
 * a lab (its participant id) or the regulator (revoker id zero, which no participant can have). Each party
 * revokes a record at most once, and no party's revocation prevents another's.
 *
 * The chain does not know which lab issued a record, so any currently valid lab may record a revocation of any
 * leaf hash here. Verifiers decide which revocations count: the issuer's (the participant that owns the record's
 * signing key) and the regulator's, read with {revocationBy}. Anyone else's revocation is never read, so it has
 * no effect.
 */
interface IRevocationRegistry {
    /**
     * @dev The participant registry given to the constructor is the zero address.
     */
    error RevocationRegistryInvalidParticipantRegistry(address participantRegistry);

    /**
     * @dev `account` is neither a regulator nor a currently valid signing key of a lab.
     */
    error RevocationRegistryUnauthorizedRevoker(address account);

    /**
     * @dev The party `revokerId` already revoked the record `leafHash`, at `revokedAt`.
     */
    error RevocationRegistryAlreadyRevoked(bytes32 leafHash, bytes32 revokerId, uint64 revokedAt);

    /**
     * @dev A signed revocation's `deadline` (seconds) is before the current block time.
     */
    error RevocationRegistryExpiredSignature(uint64 deadline);

    /**
     * @dev Emitted when the record with leaf hash `leafHash` is revoked by `revokedBy`, acting for the party
     * `revokerId`: a lab's participant id, or zero for a regulator.
     */
    event RecordRevoked(bytes32 indexed leafHash, bytes32 indexed revokerId, address indexed revokedBy, uint16 reasonCode);

    /**
     * @dev Revokes the record whose RFC 6962 leaf hash is `leafHash` on behalf of the caller's party, for reason
     * `reasonCode` (an index into the off-chain list of reasons, REVOCATION_REASONS), from the current block time.
     * Permanent.
     *
     * The caller's party is the regulator (revoker id zero) when it holds `REGULATOR_ROLE` of the participant
     * registry, even if it is also a lab key; otherwise it must be a signing key of a lab that is valid now (see
     * {IParticipantRegistry-isValidSigner}), and its party is that lab's participant id.
     *
     * Requirements:
     *
     * - the caller is a regulator or a currently valid lab signing key.
     * - the caller's party has not revoked this record yet. Revocations by other parties do not matter.
     *
     * Emits a {RecordRevoked} event.
     *
     * WARNING: any lab can record a revocation of any leaf hash here. Verifiers must read only the revocations of
     * the record's issuer and of the regulator (see {revocationBy}); a lab that did not issue the record cannot
     * block or fake its recall.
     */
    function revoke(bytes32 leafHash, uint16 reasonCode) external;

    /**
     * @dev Revokes the record `leafHash` for reason `reasonCode` on behalf of the party of the key that signed
     * the EIP-712 message `Revocation(bytes32 leafHash,uint16 reasonCode,uint64 deadline)` (domain: name
     * "traceledger", version "1", the chain id, this contract), exactly as if that key had called {revoke}
     * itself: the same rule for its party, and `revokedBy` is the signer. Anyone may send it (e.g. the operator
     * relays a lab's revocation, so the lab needs no gas).
     *
     * A signature revokes only the leaf hash, with the reason, that it names, on this chain and contract; it
     * cannot be used again, since its party can revoke a record only once.
     *
     * Requirements:
     *
     * - `deadline` is not before the current block time.
     * - `signature` is a valid ECDSA signature (65 bytes, low `s`), else the ECDSA library's error.
     * - the signer is a regulator or a currently valid lab signing key (a signature over other values recovers
     *   another address, which is refused with {RevocationRegistryUnauthorizedRevoker}).
     * - the signer's party has not revoked this record yet.
     *
     * Emits a {RecordRevoked} event.
     */
    function revokeWithSignature(bytes32 leafHash, uint16 reasonCode, uint64 deadline, bytes calldata signature) external;

    /**
     * @dev Returns the EIP-712 digest a key signs to revoke `leafHash` for `reasonCode` until `deadline` with
     * {revokeWithSignature}. Also tells a client whether the deployed contract supports signed revocations.
     */
    function revocationDigest(bytes32 leafHash, uint16 reasonCode, uint64 deadline) external view returns (bytes32);

    /**
     * @dev Returns the revocation of the record with leaf hash `leafHash` by the party `revokerId` (a lab's
     * participant id, or zero for the regulator): `revoked` is false, and every other field zero, if that party
     * did not revoke it. `revokedBy` is the address that sent the revocation, or signed it (see {revokeWithSignature}).
     */
    function revocationBy(
        bytes32 leafHash,
        bytes32 revokerId
    ) external view returns (bool revoked, uint16 reasonCode, uint64 revokedAt, address revokedBy);

    /**
     * @dev Returns the participant registry that says who the regulators and the labs are.
     */
    function participantRegistry() external view returns (address);
}
