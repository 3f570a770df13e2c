// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/**
 * @dev Gas benchmark baseline, not part of traceledger: the design most traceability DApps use, one storage
 * struct per record, every field on chain. Deliberately plain and unguarded (no roles), which only makes it
 * cheaper than it would be in production.
 */
contract NaiveRecordStore {
    /// @dev One test report, stored field by field.
    struct Record {
        string batchId;
        address producer;
        uint256 seleniumValue;
        string lab;
        bytes32 reportHash;
        uint256 timestamp;
    }

    /// @dev The fields a caller supplies; `timestamp` is the block time.
    struct RecordInput {
        string batchId;
        address producer;
        uint256 seleniumValue;
        string lab;
        bytes32 reportHash;
    }

    /**
     * @dev No record has id `recordId`.
     */
    error NaiveRecordStoreUnknownRecord(uint256 recordId);

    /**
     * @dev Emitted when record `recordId` is stored.
     */
    event RecordStored(uint256 indexed recordId, address indexed producer, string batchId, bytes32 reportHash);

    Record[] private _records;

    /**
     * @dev Stores one record and returns its id (its position, from 0).
     *
     * Emits a {RecordStored} event.
     */
    function store(
        string calldata batchId,
        address producer,
        uint256 seleniumValue,
        string calldata lab,
        bytes32 reportHash
    ) external returns (uint256 recordId) {
        return _store(batchId, producer, seleniumValue, lab, reportHash);
    }

    /**
     * @dev Stores `records` in order, in one transaction.
     *
     * Emits a {RecordStored} event per record.
     */
    function storeMany(RecordInput[] calldata records) external {
        for (uint256 i = 0; i < records.length; ++i) {
            RecordInput calldata input = records[i];
            _store(input.batchId, input.producer, input.seleniumValue, input.lab, input.reportHash);
        }
    }

    /**
     * @dev Returns record `recordId`.
     *
     * Requirements:
     *
     * - `recordId` is less than {recordCount}.
     */
    function getRecord(uint256 recordId) external view returns (Record memory) {
        if (recordId >= _records.length) revert NaiveRecordStoreUnknownRecord(recordId);
        return _records[recordId];
    }

    /**
     * @dev Returns the number of stored records.
     */
    function recordCount() external view returns (uint256) {
        return _records.length;
    }

    function _store(
        string calldata batchId,
        address producer,
        uint256 seleniumValue,
        string calldata lab,
        bytes32 reportHash
    ) private returns (uint256 recordId) {
        recordId = _records.length;
        _records.push(
            Record({
                batchId: batchId,
                producer: producer,
                seleniumValue: seleniumValue,
                lab: lab,
                reportHash: reportHash,
                timestamp: block.timestamp
            })
        );
        emit RecordStored(recordId, producer, batchId, reportHash);
    }
}
