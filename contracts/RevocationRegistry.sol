// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {IParticipantRegistry} from "./interfaces/IParticipantRegistry.sol";
import {IRevocationRegistry} from "./interfaces/IRevocationRegistry.sol";
import {ChainClock} from "./utils/ChainClock.sol";
import {TypedDataDomain} from "./utils/TypedDataDomain.sol";

/**
 * @dev Record revocation (recall) by the issuing lab or by a regulator, kept per revoking party so that nobody's
 * revocation blocks another's. See {IRevocationRegistry}.
 *
 * Has no roles of its own: regulators are the holders of `REGULATOR_ROLE` in the {ParticipantRegistry}, and
 * labs are its lab participants, both read at the time of the revocation.
 *
 * A revocation can also be signed off chain (EIP-712, domain `{name: "traceledger", version: "1", chainId,
 * verifyingContract: this contract}`) and sent by anyone, see {revokeWithSignature}.
 */
contract RevocationRegistry is IRevocationRegistry, TypedDataDomain, ChainClock {
    /// @dev A party's revocation of a record. One storage slot.
    struct Revocation {
        uint64 revokedAt;
        uint16 reasonCode;
        address revokedBy;
    }

    /// @dev Must equal `ParticipantRegistry.REGULATOR_ROLE`.
    bytes32 public constant REGULATOR_ROLE = keccak256("REGULATOR_ROLE");

    /// @dev The EIP-712 type hash of a signed revocation.
    bytes32 public constant REVOCATION_TYPEHASH =
        keccak256("Revocation(bytes32 leafHash,uint16 reasonCode,uint64 deadline)");

    /// @dev The revoker id of the regulator: zero, which the participant registry never gives a participant.
    bytes32 public constant REGULATOR_REVOKER_ID = bytes32(0);

    IParticipantRegistry private immutable _participantRegistry;

    mapping(bytes32 leafHash => mapping(bytes32 revokerId => Revocation)) private _revocations;

    /**
     * @dev Reads regulators and labs from `participantRegistry_`.
     *
     * Requirements:
     *
     * - `participantRegistry_` is not the zero address.
     */
    constructor(IParticipantRegistry participantRegistry_) TypedDataDomain("traceledger", "1") {
        if (address(participantRegistry_) == address(0)) {
            revert RevocationRegistryInvalidParticipantRegistry(address(participantRegistry_));
        }
        _participantRegistry = participantRegistry_;
    }

    /// @inheritdoc IRevocationRegistry
    function revoke(bytes32 leafHash, uint16 reasonCode) external {
        _revoke(leafHash, reasonCode, msg.sender);
    }

    /// @inheritdoc IRevocationRegistry
    function revokeWithSignature(bytes32 leafHash, uint16 reasonCode, uint64 deadline, bytes calldata signature) external {
        _checkDeadline(deadline);
        bytes32 digest = _hashTypedDataV4(keccak256(abi.encode(REVOCATION_TYPEHASH, leafHash, reasonCode, deadline)));
        _revoke(leafHash, reasonCode, ECDSA.recover(digest, signature));
    }

    /// @inheritdoc IRevocationRegistry
    function revocationDigest(bytes32 leafHash, uint16 reasonCode, uint64 deadline) external view returns (bytes32) {
        return _hashTypedDataV4(keccak256(abi.encode(REVOCATION_TYPEHASH, leafHash, reasonCode, deadline)));
    }

    /// @inheritdoc IRevocationRegistry
    function revocationBy(
        bytes32 leafHash,
        bytes32 revokerId
    ) external view returns (bool revoked, uint16 reasonCode, uint64 revokedAt, address revokedBy) {
        Revocation storage revocation = _revocations[leafHash][revokerId];
        return (revocation.revokedAt != 0, revocation.reasonCode, revocation.revokedAt, revocation.revokedBy);
    }

    /// @inheritdoc IRevocationRegistry
    function participantRegistry() external view returns (address) {
        return address(_participantRegistry);
    }

    /**
     * @dev Records the revocation of `leafHash` by `revoker` for its party, after {_checkRevoker} and
     * {_checkNotRevokedBy}. Emits {RecordRevoked}.
     */
    function _revoke(bytes32 leafHash, uint16 reasonCode, address revoker) internal {
        bytes32 revokerId = _checkRevoker(revoker);
        _checkNotRevokedBy(leafHash, revokerId);
        _revocations[leafHash][revokerId] = Revocation({
            revokedAt: _now(),
            reasonCode: reasonCode,
            revokedBy: revoker
        });
        emit RecordRevoked(leafHash, revokerId, revoker, reasonCode);
    }

    /// @dev Reverts with {RevocationRegistryExpiredSignature} if `deadline` is before the current block time.
    function _checkDeadline(uint64 deadline) internal view {
        if (_now() > deadline) revert RevocationRegistryExpiredSignature(deadline);
    }

    /**
     * @dev Reverts with {RevocationRegistryAlreadyRevoked} if the party `revokerId` already revoked the record.
     * Other parties' revocations are not looked at.
     */
    function _checkNotRevokedBy(bytes32 leafHash, bytes32 revokerId) internal view {
        uint64 revokedAt = _revocations[leafHash][revokerId].revokedAt;
        if (revokedAt != 0) revert RevocationRegistryAlreadyRevoked(leafHash, revokerId, revokedAt);
    }

    /**
     * @dev Reverts with {RevocationRegistryUnauthorizedRevoker} unless `account` is a regulator or a currently
     * valid lab signing key. Returns the party it revokes for: {REGULATOR_REVOKER_ID} for a regulator, else the
     * lab's participant id (never zero).
     */
    function _checkRevoker(address account) internal view returns (bytes32 revokerId) {
        if (IAccessControl(address(_participantRegistry)).hasRole(REGULATOR_ROLE, account)) {
            return REGULATOR_REVOKER_ID;
        }
        if (
            _participantRegistry.isValidSigner(
                account,
                IParticipantRegistry.ParticipantKind.Lab,
                _now()
            )
        ) {
            return _participantRegistry.participantOf(account);
        }
        revert RevocationRegistryUnauthorizedRevoker(account);
    }
}
