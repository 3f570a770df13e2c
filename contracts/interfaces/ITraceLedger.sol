// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/**
 * @dev Append-only anchors of RFC 6962 transparency logs: per log, the latest checkpoint and the root of every
 * anchored size. Each new checkpoint must prove, on chain, that it extends the previous one.
 */
interface ITraceLedger {
    /**
     * @dev The admin given to the constructor is the zero address.
     */
    error TraceLedgerInvalidAdmin(address admin);

    /**
     * @dev A registry given to the constructor is the zero address or has no code.
     */
    error TraceLedgerInvalidRegistry(address registry);

    /**
     * @dev A checkpoint must have `0 < size <= type(uint64).max` and a non-zero `root`.
     */
    error TraceLedgerInvalidCheckpoint(bytes32 logId, uint256 size, bytes32 root);

    /**
     * @dev The first checkpoint of a log came with a consistency proof of `proofLength` nodes; it needs none.
     */
    error TraceLedgerUnexpectedProof(bytes32 logId, uint256 proofLength);

    /**
     * @dev The checkpoint of size `size` is smaller than the latest anchored checkpoint of size `latestSize`:
     * a log never shrinks.
     */
    error TraceLedgerShrinkingCheckpoint(bytes32 logId, uint256 latestSize, uint256 size);

    /**
     * @dev The consistency proof does not prove that the checkpoint of size `newSize` extends the latest anchored
     * checkpoint of size `oldSize` (a bad or truncated proof, history rewritten, or, at equal sizes, another
     * root or a non-empty proof).
     */
    error TraceLedgerInconsistentCheckpoint(bytes32 logId, uint256 oldSize, uint256 newSize);

    /**
     * @dev Emitted when the checkpoint `(size, root)` of log `logId` is anchored. `previousSize` is the size of
     * the checkpoint it extends, 0 for the first checkpoint of the log.
     */
    event CheckpointAnchored(bytes32 indexed logId, uint256 size, bytes32 root, uint256 previousSize);

    /**
     * @dev Anchors the checkpoint `(size, root)` of the log `logId`.
     *
     * The first checkpoint of a log is accepted as is. Every later one must come with the RFC 9162 consistency
     * proof from the latest anchored checkpoint, verified here: the chain itself guarantees that an anchored log
     * only ever grows by appending. Re-anchoring the latest checkpoint (same size, same root, empty proof) is a
     * no-op: it neither reverts nor emits.
     *
     * Requirements:
     *
     * - the caller must have `ANCHORER_ROLE`.
     * - `size` is in `1..type(uint64).max` and `root` is not zero.
     * - for the first checkpoint of `logId`, `consistencyProof` is empty.
     * - otherwise, `size` is at least the latest anchored size and `consistencyProof` proves the latest anchored
     *   checkpoint consistent with `(size, root)`.
     *
     * Emits a {CheckpointAnchored} event, unless the checkpoint is the latest one again.
     *
     * WARNING: the contract proves that the log is append-only, not that its entries are genuine: an anchorer may
     * still anchor a log whose new entries are made up. Auditors check the entries themselves.
     */
    function anchor(bytes32 logId, uint256 size, bytes32 root, bytes32[] calldata consistencyProof) external;

    /**
     * @dev Returns the latest anchored checkpoint of `logId` and the block time it was anchored at (seconds, also on
     * a chain whose block time counts milliseconds: see {ChainClock}); all zero if nothing was ever anchored for that log.
     */
    function latest(bytes32 logId) external view returns (uint256 size, bytes32 root, uint64 anchoredAt);

    /**
     * @dev Returns the root anchored for `logId` at size `size`; zero if that size was never anchored.
     */
    function rootAt(bytes32 logId, uint256 size) external view returns (bytes32);

    /**
     * @dev Returns true if `proof` proves that `leafHash` (an RFC 6962 leaf hash) is the leaf at `index` of the
     * checkpoint of size `size` anchored for `logId`. Returns false if that size was never anchored.
     */
    function verifyInclusion(
        bytes32 logId,
        uint256 size,
        uint256 index,
        bytes32 leafHash,
        bytes32[] calldata proof
    ) external view returns (bool);

    /**
     * @dev Returns the ParticipantRegistry whose keys sign the records anchored here. Fixed at deployment: a
     * verifier configured with this contract's address (and the chain id) reads every other address from here,
     * never from a proof bundle.
     */
    function participantRegistry() external view returns (address);

    /**
     * @dev Returns the RevocationRegistry where records anchored here are revoked. Fixed at deployment.
     */
    function revocationRegistry() external view returns (address);
}
