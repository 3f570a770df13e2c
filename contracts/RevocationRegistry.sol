// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";
import {IParticipantRegistry} from "./interfaces/IParticipantRegistry.sol";
import {IRevocationRegistry} from "./interfaces/IRevocationRegistry.sol";

/**
 * @dev Record revocation (recall) by the issuing lab or by a regulator. See {IRevocationRegistry}.
 *
 * Has no roles of its own: regulators are the holders of `REGULATOR_ROLE` in the {ParticipantRegistry}, and
 * labs are its lab participants, both read at the time of the revocation.
 */
contract RevocationRegistry is IRevocationRegistry {
    /// @dev A revocation. One storage slot, plus one for the participant id of a lab.
    struct Revocation {
        uint64 revokedAt;
        uint16 reasonCode;
        address revokedBy;
        bytes32 participantId;
    }

    /// @dev Must equal `ParticipantRegistry.REGULATOR_ROLE`.
    bytes32 public constant REGULATOR_ROLE = keccak256("REGULATOR_ROLE");

    IParticipantRegistry private immutable _participantRegistry;

    mapping(bytes32 leafHash => Revocation) private _revocations;

    /**
     * @dev Reads regulators and labs from `participantRegistry_`.
     *
     * Requirements:
     *
     * - `participantRegistry_` is not the zero address.
     */
    constructor(IParticipantRegistry participantRegistry_) {
        if (address(participantRegistry_) == address(0)) {
            revert RevocationRegistryInvalidParticipantRegistry(address(participantRegistry_));
        }
        _participantRegistry = participantRegistry_;
    }

    /// @inheritdoc IRevocationRegistry
    function revoke(bytes32 leafHash, uint16 reasonCode) external {
        _checkNotRevoked(leafHash);
        bytes32 participantId = _checkRevoker(msg.sender);
        uint64 revokedAt = uint64(block.timestamp);
        _revocations[leafHash] = Revocation({
            revokedAt: revokedAt,
            reasonCode: reasonCode,
            revokedBy: msg.sender,
            participantId: participantId
        });
        emit RecordRevoked(leafHash, participantId, msg.sender, reasonCode);
    }

    /// @inheritdoc IRevocationRegistry
    function revocationOf(
        bytes32 leafHash
    )
        external
        view
        returns (bool revoked, uint16 reasonCode, uint64 revokedAt, address revokedBy, bytes32 participantId)
    {
        Revocation storage revocation = _revocations[leafHash];
        return (
            revocation.revokedAt != 0,
            revocation.reasonCode,
            revocation.revokedAt,
            revocation.revokedBy,
            revocation.participantId
        );
    }

    /// @inheritdoc IRevocationRegistry
    function participantRegistry() external view returns (address) {
        return address(_participantRegistry);
    }

    /// @dev Reverts with {RevocationRegistryAlreadyRevoked} if the record is already revoked.
    function _checkNotRevoked(bytes32 leafHash) internal view {
        uint64 revokedAt = _revocations[leafHash].revokedAt;
        if (revokedAt != 0) revert RevocationRegistryAlreadyRevoked(leafHash, revokedAt);
    }

    /**
     * @dev Reverts with {RevocationRegistryUnauthorizedRevoker} unless `account` is a regulator or a currently
     * valid lab signing key. Returns the lab's participant id, or zero for a regulator.
     */
    function _checkRevoker(address account) internal view returns (bytes32 participantId) {
        if (IAccessControl(address(_participantRegistry)).hasRole(REGULATOR_ROLE, account)) return bytes32(0);
        if (
            _participantRegistry.isValidSigner(
                account,
                IParticipantRegistry.ParticipantKind.Lab,
                uint64(block.timestamp)
            )
        ) {
            return _participantRegistry.participantOf(account);
        }
        revert RevocationRegistryUnauthorizedRevoker(account);
    }
}
