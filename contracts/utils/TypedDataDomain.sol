// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/**
 * @dev EIP-712 hashing of typed structured data for one domain `{name, version, chainId, verifyingContract}`: the
 * digest OpenZeppelin's `EIP712._hashTypedDataV4` computes, without its dependencies. OpenZeppelin 5.x's EIP712
 * imports `Strings` and `Bytes`, whose assembly uses `mcopy` (Cancun) and so cannot compile for `evmVersion: paris`,
 * the newest a FISCO BCOS node runs.
 *
 * The domain separator is cached for the deploying chain id and address, and recomputed if either differs (a fork).
 */
abstract contract TypedDataDomain {
    bytes32 private constant _DOMAIN_TYPEHASH =
        keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)");

    bytes32 private immutable _hashedName;
    bytes32 private immutable _hashedVersion;
    uint256 private immutable _cachedChainId;
    address private immutable _cachedThis;
    bytes32 private immutable _cachedDomainSeparator;

    /// @dev The domain `{name, version, block.chainid, address(this)}`.
    constructor(string memory name, string memory version) {
        _hashedName = keccak256(bytes(name));
        _hashedVersion = keccak256(bytes(version));
        _cachedChainId = block.chainid;
        _cachedThis = address(this);
        _cachedDomainSeparator = _buildDomainSeparator();
    }

    /// @dev The EIP-712 domain separator for the current chain and this contract.
    function _domainSeparatorV4() internal view returns (bytes32) {
        if (address(this) == _cachedThis && block.chainid == _cachedChainId) return _cachedDomainSeparator;
        return _buildDomainSeparator();
    }

    /// @dev The EIP-712 digest of the struct whose `hashStruct` is `structHash`, in this domain.
    function _hashTypedDataV4(bytes32 structHash) internal view returns (bytes32) {
        return keccak256(abi.encodePacked(hex"1901", _domainSeparatorV4(), structHash));
    }

    function _buildDomainSeparator() private view returns (bytes32) {
        return keccak256(abi.encode(_DOMAIN_TYPEHASH, _hashedName, _hashedVersion, block.chainid, address(this)));
    }
}
