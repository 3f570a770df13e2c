// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {ChainClock} from "../utils/ChainClock.sol";

/**
 * @dev Test-only: exposes {ChainClock-_now}. Not deployed in production.
 */
contract ChainClockHarness is ChainClock {
    /// @dev The last time {tick} read, and the raw `block.timestamp` of its block.
    uint64 public lastNow;
    uint256 public lastTimestamp;

    /// @dev Records {ChainClock-_now} and `block.timestamp` of the block this transaction is mined in.
    function tick() external {
        lastNow = _now();
        lastTimestamp = block.timestamp;
    }
}
