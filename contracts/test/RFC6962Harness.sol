// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {RFC6962} from "../RFC6962.sol";

/**
 * @dev Test-only: exposes the internal {RFC6962} library as external functions. Not deployed in production.
 */
contract RFC6962Harness {
    /// @dev See {RFC6962-leafHash}.
    function leafHash(bytes calldata data) external pure returns (bytes32) {
        return RFC6962.leafHash(data);
    }

    /// @dev See {RFC6962-nodeHash}.
    function nodeHash(bytes32 left, bytes32 right) external pure returns (bytes32) {
        return RFC6962.nodeHash(left, right);
    }

    /// @dev See {RFC6962-verifyInclusion}.
    function verifyInclusion(
        uint256 index,
        uint256 size,
        bytes32 leaf,
        bytes32[] calldata proof,
        bytes32 root
    ) external pure returns (bool) {
        return RFC6962.verifyInclusion(index, size, leaf, proof, root);
    }

    /// @dev See {RFC6962-rootFromInclusionProof}.
    function rootFromInclusionProof(
        uint256 index,
        uint256 size,
        bytes32 leaf,
        bytes32[] calldata proof
    ) external pure returns (bool wellFormed, bytes32 root) {
        return RFC6962.rootFromInclusionProof(index, size, leaf, proof);
    }

    /// @dev See {RFC6962-verifyConsistency}.
    function verifyConsistency(
        uint256 size1,
        uint256 size2,
        bytes32 root1,
        bytes32 root2,
        bytes32[] calldata proof
    ) external pure returns (bool) {
        return RFC6962.verifyConsistency(size1, size2, root1, root2, proof);
    }

    /// @dev See {RFC6962-rootsFromConsistencyProof}.
    function rootsFromConsistencyProof(
        uint256 size1,
        uint256 size2,
        bytes32 root1,
        bytes32[] calldata proof
    ) external pure returns (bool wellFormed, bytes32 root1Computed, bytes32 root2Computed) {
        return RFC6962.rootsFromConsistencyProof(size1, size2, root1, proof);
    }
}
