// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/**
 * @dev RFC 6962 / RFC 9162 Merkle tree proofs over SHA-256: inclusion (RFC 9162 §2.1.3.2) and consistency
 * (RFC 9162 §2.1.4.2).
 *
 * The tree is the Certificate Transparency log tree: `leaf = SHA-256(0x00 || data)`,
 * `node = SHA-256(0x01 || left || right)`; a tree of `n > 1` leaves splits at the largest power of two
 * smaller than `n`; children are hashed in position order, never sorted. The verification algorithms are the
 * ones of RFC 9162, step by step (the same verdicts as transparency-dev/merkle `proof/verify.go`): a proof
 * with a missing, extra or misplaced node never verifies.
 *
 * Compute and compare are separate: {rootFromInclusionProof} and {rootsFromConsistencyProof} rebuild the
 * root(s) a proof commits to, and say whether the proof had the right shape; {verifyInclusion} and
 * {verifyConsistency} then compare with the expected root(s).
 *
 * Nodes are hashed by calling the SHA-256 precompile (address 0x02) from assembly on a 65-byte buffer past the
 * free memory pointer (no allocation per node).
 */
library RFC6962 {
    /**
     * @dev Returns the RFC 6962 leaf hash of `data`: `SHA-256(0x00 || data)`.
     */
    function leafHash(bytes memory data) internal pure returns (bytes32) {
        return sha256(abi.encodePacked(bytes1(0x00), data));
    }

    /**
     * @dev Returns the RFC 6962 interior node hash of two children: `SHA-256(0x01 || left || right)`.
     */
    function nodeHash(bytes32 left, bytes32 right) internal pure returns (bytes32) {
        return sha256(abi.encodePacked(bytes1(0x01), left, right));
    }

    /**
     * @dev Returns true if `proof` proves that `leaf` (an RFC 6962 leaf hash) is the leaf at position `index`
     * (0-based) of the tree of `size` leaves whose root is `root`.
     *
     * Requires `0 <= index < size` and `proof` to be exactly the audit path of `index` in a tree of `size`
     * leaves, from the leaf up. Returns false otherwise; never reverts.
     */
    function verifyInclusion(
        uint256 index,
        uint256 size,
        bytes32 leaf,
        bytes32[] memory proof,
        bytes32 root
    ) internal pure returns (bool) {
        (bool wellFormed, bytes32 computed) = rootFromInclusionProof(index, size, leaf, proof);
        return wellFormed && computed == root;
    }

    /**
     * @dev Rebuilds the root of the tree of `size` leaves from `leaf` (an RFC 6962 leaf hash) at position
     * `index` and its audit path `proof` (RFC 9162 §2.1.3.2 steps 1 to 4).
     *
     * Requires `0 <= index < size` and `proof.length` to be exactly the length of the audit path of `index` in a
     * tree of `size` leaves; otherwise returns `(false, 0)`.
     */
    function rootFromInclusionProof(
        uint256 index,
        uint256 size,
        bytes32 leaf,
        bytes32[] memory proof
    ) internal pure returns (bool wellFormed, bytes32 root) {
        return _asPure(_rootFromInclusionProof)(index, size, leaf, proof);
    }

    /**
     * @dev Returns true if `proof` proves that the tree of `size1` leaves with root `root1` is a prefix of the
     * tree of `size2` leaves with root `root2`: the larger tree only appended leaves to the smaller one.
     *
     * Requires `0 < size1 <= size2`; when `size1 == size2`, the proof must be empty and the roots equal.
     * Returns false otherwise, never reverts. `size1 == 0` is always false: RFC 9162 defines no proof from the
     * empty tree and the transparency-dev/merkle test vectors reject it.
     */
    function verifyConsistency(
        uint256 size1,
        uint256 size2,
        bytes32 root1,
        bytes32 root2,
        bytes32[] memory proof
    ) internal pure returns (bool) {
        if (size1 == 0 || size1 > size2) return false;
        if (size1 == size2) return proof.length == 0 && root1 == root2;
        (bool wellFormed, bytes32 computed1, bytes32 computed2) = rootsFromConsistencyProof(
            size1,
            size2,
            root1,
            proof
        );
        return wellFormed && computed1 == root1 && computed2 == root2;
    }

    /**
     * @dev Rebuilds, from the consistency `proof` between the trees of `size1` and `size2` leaves, the root of
     * the smaller tree and the root of the larger tree (RFC 9162 §2.1.4.2 steps 1 to 6). When `size1` is a
     * power of two the proof omits the smaller tree's root and `root1` is used in its place, so the first
     * returned root is then `root1` itself.
     *
     * Requires `0 < size1 < size2` and `proof.length` to be exactly the length RFC 9162 §2.1.4.1 produces for
     * these sizes; otherwise returns `(false, 0, 0)`.
     */
    function rootsFromConsistencyProof(
        uint256 size1,
        uint256 size2,
        bytes32 root1,
        bytes32[] memory proof
    ) internal pure returns (bool wellFormed, bytes32 computed1, bytes32 computed2) {
        return _asPure(_rootsFromConsistencyProof)(size1, size2, root1, proof);
    }

    /// @dev See {rootFromInclusionProof}. `view` only because the compiler treats `staticcall` as a state read.
    function _rootFromInclusionProof(
        uint256 index,
        uint256 size,
        bytes32 leaf,
        bytes32[] memory proof
    ) private view returns (bool wellFormed, bytes32 root) {
        if (index >= size) return (false, bytes32(0));
        assembly ("memory-safe") {
            // 0x01 || left || right, in scratch memory past the free memory pointer (never allocated).
            let buffer := mload(0x40)
            mstore8(buffer, 0x01)
            let fn := index
            let sn := sub(size, 1)
            let node := add(proof, 0x20)
            let end := add(node, shl(5, mload(proof)))
            root := leaf
            wellFormed := 1
            for {} lt(node, end) {
                node := add(node, 0x20)
            } {
                // More nodes than levels.
                if iszero(sn) {
                    wellFormed := 0
                    break
                }
                switch or(and(fn, 1), eq(fn, sn))
                case 0 {
                    // Right sibling.
                    mstore(add(buffer, 0x01), root)
                    mstore(add(buffer, 0x21), mload(node))
                }
                default {
                    // Left sibling.
                    mstore(add(buffer, 0x01), mload(node))
                    mstore(add(buffer, 0x21), root)
                    // On the right border: skip the levels where the node has no sibling.
                    for {} iszero(or(and(fn, 1), iszero(fn))) {} {
                        fn := shr(1, fn)
                        sn := shr(1, sn)
                    }
                }
                if iszero(staticcall(gas(), 0x02, buffer, 0x41, 0x00, 0x20)) {
                    revert(0x00, 0x00)
                }
                root := mload(0x00)
                fn := shr(1, fn)
                sn := shr(1, sn)
            }
            // Fewer nodes than levels.
            if sn {
                wellFormed := 0
            }
            if iszero(wellFormed) {
                root := 0
            }
        }
    }

    /// @dev See {rootsFromConsistencyProof}. `view` only because the compiler treats `staticcall` as a state read.
    function _rootsFromConsistencyProof(
        uint256 size1,
        uint256 size2,
        bytes32 root1,
        bytes32[] memory proof
    ) private view returns (bool wellFormed, bytes32 hash1, bytes32 hash2) {
        if (size1 == 0 || size1 >= size2 || proof.length == 0) return (false, bytes32(0), bytes32(0));
        assembly ("memory-safe") {
            // 0x01 || left || right, in scratch memory past the free memory pointer (never allocated).
            let buffer := mload(0x40)
            mstore8(buffer, 0x01)
            let node := add(proof, 0x20)
            let end := add(node, shl(5, mload(proof)))
            // Step 2: when size1 is a power of two its root is the first node of the path, omitted from the proof.
            switch and(size1, sub(size1, 1))
            case 0 {
                hash1 := root1
            }
            default {
                hash1 := mload(node)
                node := add(node, 0x20)
            }
            hash2 := hash1
            // Steps 3 and 4.
            let fn := sub(size1, 1)
            let sn := sub(size2, 1)
            for {} and(fn, 1) {} {
                fn := shr(1, fn)
                sn := shr(1, sn)
            }
            // Steps 5 and 6.
            wellFormed := 1
            for {} lt(node, end) {
                node := add(node, 0x20)
            } {
                // More nodes than levels.
                if iszero(sn) {
                    wellFormed := 0
                    break
                }
                switch or(and(fn, 1), eq(fn, sn))
                case 0 {
                    // A right sibling: only in the larger tree.
                    mstore(add(buffer, 0x01), hash2)
                    mstore(add(buffer, 0x21), mload(node))
                    if iszero(staticcall(gas(), 0x02, buffer, 0x41, 0x00, 0x20)) {
                        revert(0x00, 0x00)
                    }
                    hash2 := mload(0x00)
                }
                default {
                    // A left sibling: in both trees.
                    mstore(add(buffer, 0x01), mload(node))
                    mstore(add(buffer, 0x21), hash1)
                    if iszero(staticcall(gas(), 0x02, buffer, 0x41, 0x00, 0x20)) {
                        revert(0x00, 0x00)
                    }
                    hash1 := mload(0x00)
                    mstore(add(buffer, 0x21), hash2)
                    if iszero(staticcall(gas(), 0x02, buffer, 0x41, 0x00, 0x20)) {
                        revert(0x00, 0x00)
                    }
                    hash2 := mload(0x00)
                    // On the right border: skip the levels where the node has no sibling.
                    for {} iszero(or(and(fn, 1), iszero(fn))) {} {
                        fn := shr(1, fn)
                        sn := shr(1, sn)
                    }
                }
                fn := shr(1, fn)
                sn := shr(1, sn)
            }
            // Fewer nodes than levels.
            if sn {
                wellFormed := 0
            }
            if iszero(wellFormed) {
                hash1 := 0
                hash2 := 0
            }
        }
    }

    // The SHA-256 precompile is a pure function of its input, but the compiler treats every `staticcall` as a
    // state read. These casts let the pure API call the assembly implementations (the technique forge-std's
    // console library uses for its `view` calls).

    function _asPure(
        function(uint256, uint256, bytes32, bytes32[] memory) view returns (bool, bytes32) fn
    ) private pure returns (function(uint256, uint256, bytes32, bytes32[] memory) pure returns (bool, bytes32) pureFn) {
        assembly ("memory-safe") {
            pureFn := fn
        }
    }

    function _asPure(
        function(uint256, uint256, bytes32, bytes32[] memory) view returns (bool, bytes32, bytes32) fn
    )
        private
        pure
        returns (function(uint256, uint256, bytes32, bytes32[] memory) pure returns (bool, bytes32, bytes32) pureFn)
    {
        assembly ("memory-safe") {
            pureFn := fn
        }
    }
}
