// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/**
 * @dev Revocations (recalls) of log records, keyed by the record's RFC 6962 leaf hash: who revoked, when, why.
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
     * @dev The record was already revoked at `revokedAt`.
     */
    error RevocationRegistryAlreadyRevoked(bytes32 leafHash, uint64 revokedAt);

    /**
     * @dev Emitted when the record with leaf hash `leafHash` is revoked by `revokedBy`, acting for the lab
     * `participantId`, or as a regulator when `participantId` is zero.
     */
    event RecordRevoked(
        bytes32 indexed leafHash,
        bytes32 indexed participantId,
        address indexed revokedBy,
        uint16 reasonCode
    );

    /**
     * @dev Revokes the record whose RFC 6962 leaf hash is `leafHash`, for reason `reasonCode` (a code from the
     * off-chain list of reasons; 0 is "unspecified"), from the current block time. Permanent.
     *
     * The caller is either a regulator (`REGULATOR_ROLE` of the participant registry), recorded with participant
     * id zero, or a signing key of a lab that is valid now (see {IParticipantRegistry-isValidSigner}), recorded
     * with that lab's participant id. A regulator is recorded as a regulator even if it also is a lab key.
     *
     * Requirements:
     *
     * - the caller is a regulator or a currently valid lab signing key.
     * - the record is not revoked yet.
     *
     * Emits a {RecordRevoked} event.
     *
     * WARNING: the chain does not know who issued a record, so any lab can revoke any leaf hash here. Verifiers
     * must only honour a lab's revocation when `participantId` is the lab that issued the record; a regulator's
     * revocation always counts.
     */
    function revoke(bytes32 leafHash, uint16 reasonCode) external;

    /**
     * @dev Returns the revocation of the record with leaf hash `leafHash`: `revoked` is false (and every other
     * field zero) if it is not revoked. `participantId` is the revoking lab, zero when a regulator revoked.
     */
    function revocationOf(
        bytes32 leafHash
    )
        external
        view
        returns (bool revoked, uint16 reasonCode, uint64 revokedAt, address revokedBy, bytes32 participantId);

    /**
     * @dev Returns the participant registry that says who the regulators and the labs are.
     */
    function participantRegistry() external view returns (address);
}
