// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {ITraceLedger} from "./interfaces/ITraceLedger.sol";
import {RFC6962} from "./RFC6962.sol";
import {ChainClock} from "./utils/ChainClock.sol";

/**
 * @dev Anchors RFC 6962 log checkpoints and proves, on chain, that every anchored log only ever grows.
 *
 * Per log: the latest checkpoint `(size, anchoredAt)` and the root of every anchored size. The latest root is
 * the root anchored at the latest size, so an anchor writes one new slot and updates one.
 *
 * Roles: `DEFAULT_ADMIN_ROLE` (given to the constructor's `admin`) grants and revokes `ANCHORER_ROLE`.
 *
 * The trust root: a verifier is configured with the chain id and this contract's address only; the
 * ParticipantRegistry and RevocationRegistry it must read are the ones named here, fixed at deployment.
 */
contract TraceLedger is ITraceLedger, AccessControl, ChainClock {
    /// @dev The latest checkpoint of a log; its root is `_roots[logId][size]`. One storage slot.
    struct Checkpoint {
        uint64 size;
        uint64 anchoredAt;
    }

    /// @dev May call {anchor}. Granted and revoked by `DEFAULT_ADMIN_ROLE`.
    bytes32 public constant ANCHORER_ROLE = keccak256("ANCHORER_ROLE");

    address private immutable _participantRegistry;
    address private immutable _revocationRegistry;

    mapping(bytes32 logId => Checkpoint) private _latest;
    mapping(bytes32 logId => mapping(uint256 size => bytes32 root)) private _roots;

    /**
     * @dev Grants `DEFAULT_ADMIN_ROLE` to `admin` and fixes the registries verifiers read.
     *
     * Requirements:
     *
     * - `admin` is not the zero address.
     * - `participantRegistry_` and `revocationRegistry_` are deployed contracts.
     */
    constructor(address admin, address participantRegistry_, address revocationRegistry_) {
        if (admin == address(0)) revert TraceLedgerInvalidAdmin(admin);
        _checkRegistry(participantRegistry_);
        _checkRegistry(revocationRegistry_);
        _participantRegistry = participantRegistry_;
        _revocationRegistry = revocationRegistry_;
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
    }

    /// @inheritdoc ITraceLedger
    function participantRegistry() external view returns (address) {
        return _participantRegistry;
    }

    /// @inheritdoc ITraceLedger
    function revocationRegistry() external view returns (address) {
        return _revocationRegistry;
    }

    /// @inheritdoc ITraceLedger
    function anchor(
        bytes32 logId,
        uint256 size,
        bytes32 root,
        bytes32[] calldata consistencyProof
    ) external onlyRole(ANCHORER_ROLE) {
        _checkCheckpoint(logId, size, root);
        uint256 previousSize = _latest[logId].size;
        if (previousSize == 0) {
            _checkFirstCheckpoint(logId, consistencyProof);
        } else {
            _checkNotShrinking(logId, previousSize, size);
            _checkConsistency(logId, previousSize, size, root, consistencyProof);
            if (size == previousSize) return; // The latest checkpoint again: nothing to record.
        }
        _latest[logId] = Checkpoint({size: uint64(size), anchoredAt: _now()});
        _roots[logId][size] = root;
        emit CheckpointAnchored(logId, size, root, previousSize);
    }

    /// @inheritdoc ITraceLedger
    function latest(bytes32 logId) external view returns (uint256 size, bytes32 root, uint64 anchoredAt) {
        Checkpoint memory checkpoint = _latest[logId];
        return (checkpoint.size, _roots[logId][checkpoint.size], checkpoint.anchoredAt);
    }

    /// @inheritdoc ITraceLedger
    function rootAt(bytes32 logId, uint256 size) external view returns (bytes32) {
        return _roots[logId][size];
    }

    /// @inheritdoc ITraceLedger
    function verifyInclusion(
        bytes32 logId,
        uint256 size,
        uint256 index,
        bytes32 leafHash,
        bytes32[] calldata proof
    ) external view returns (bool) {
        bytes32 root = _roots[logId][size];
        return root != bytes32(0) && RFC6962.verifyInclusion(index, size, leafHash, proof, root);
    }

    /// @inheritdoc AccessControl
    function supportsInterface(bytes4 interfaceId) public view virtual override returns (bool) {
        return interfaceId == type(ITraceLedger).interfaceId || super.supportsInterface(interfaceId);
    }

    /// @dev Reverts with {TraceLedgerInvalidRegistry} unless `registry` has code.
    function _checkRegistry(address registry) private view {
        if (registry.code.length == 0) revert TraceLedgerInvalidRegistry(registry);
    }

    /// @dev Reverts with {TraceLedgerInvalidCheckpoint} unless `0 < size <= type(uint64).max` and `root != 0`.
    function _checkCheckpoint(bytes32 logId, uint256 size, bytes32 root) internal pure {
        if (size == 0 || size > type(uint64).max || root == bytes32(0)) {
            revert TraceLedgerInvalidCheckpoint(logId, size, root);
        }
    }

    /// @dev Reverts with {TraceLedgerUnexpectedProof} unless the first checkpoint of a log comes without a proof.
    function _checkFirstCheckpoint(bytes32 logId, bytes32[] calldata consistencyProof) internal pure {
        if (consistencyProof.length != 0) revert TraceLedgerUnexpectedProof(logId, consistencyProof.length);
    }

    /// @dev Reverts with {TraceLedgerShrinkingCheckpoint} if `size` is smaller than the latest anchored size.
    function _checkNotShrinking(bytes32 logId, uint256 latestSize, uint256 size) internal pure {
        if (size < latestSize) revert TraceLedgerShrinkingCheckpoint(logId, latestSize, size);
    }

    /**
     * @dev Reverts with {TraceLedgerInconsistentCheckpoint} unless `consistencyProof` proves the checkpoint of
     * `latestSize` anchored for `logId` consistent with `(size, root)`.
     */
    function _checkConsistency(
        bytes32 logId,
        uint256 latestSize,
        uint256 size,
        bytes32 root,
        bytes32[] calldata consistencyProof
    ) internal view {
        bytes32 latestRoot = _roots[logId][latestSize];
        if (!RFC6962.verifyConsistency(latestSize, size, latestRoot, root, consistencyProof)) {
            revert TraceLedgerInconsistentCheckpoint(logId, latestSize, size);
        }
    }
}
