// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/**
 * @dev The block's time in seconds, on chains whose `block.timestamp` counts seconds (Ethereum, anvil, Besu) and
 * on chains whose `block.timestamp` counts milliseconds (FISCO BCOS). Every time the contracts store, emit or
 * compare is in seconds: they read the clock only through {_now}.
 *
 * A timestamp above `_MILLISECONDS_ABOVE` (1e11) is taken for milliseconds: in seconds that is the year 5138, in
 * milliseconds 1973-03-03, before any block of a chain running this code.
 */
abstract contract ChainClock {
    /// @dev Timestamps above this count milliseconds.
    uint256 private constant _MILLISECONDS_ABOVE = 1e11;

    /// @dev The current block's time in seconds: `block.timestamp`, divided by 1000 when it counts milliseconds.
    function _now() internal view returns (uint64) {
        uint256 t = block.timestamp;
        return uint64(t > _MILLISECONDS_ABOVE ? t / 1000 : t);
    }
}
