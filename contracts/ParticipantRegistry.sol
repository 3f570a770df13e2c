// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {IParticipantRegistry} from "./interfaces/IParticipantRegistry.sol";
import {ChainClock} from "./utils/ChainClock.sol";

/**
 * @dev Registry of accredited labs, producers and government departments, their signing keys with validity
 * windows, revocations, and the producers' product keys (GS1 company prefixes or GTINs). See {IParticipantRegistry}.
 *
 * Roles: `DEFAULT_ADMIN_ROLE` (given to the constructor's `admin`) grants and revokes the other roles.
 * `REGISTRAR_ROLE` registers participants, renews accreditations, adds keys and assigns product keys.
 * `REGISTRAR_ROLE` and `REGULATOR_ROLE` both revoke participants and keys. `REGULATOR_ROLE` alone designates
 * spot-check labs, and is also the regulator of {RevocationRegistry}.
 *
 * Nothing is ever deleted or backdated, so {isValidSigner} answers about the past as it did then, with one
 * documented exception: renewing a lapsed accreditation (see {renewAccreditation}).
 */
contract ParticipantRegistry is IParticipantRegistry, AccessControl, ChainClock {
    /// @dev Registers participants, renews accreditations, adds keys, assigns product keys; revokes participants
    /// and keys.
    bytes32 public constant REGISTRAR_ROLE = keccak256("REGISTRAR_ROLE");
    /// @dev Revokes participants and keys here, and records in {RevocationRegistry}.
    bytes32 public constant REGULATOR_ROLE = keccak256("REGULATOR_ROLE");

    /**
     * @dev How far before the block's time a new validity window may start: room for the registrar's clock and
     * the time a transaction waits to be mined, too short to vouch for back-dated records.
     */
    uint64 public constant WINDOW_START_TOLERANCE = 1 hours;

    uint256 private constant _CMA_NUMBER_LENGTH = 12;
    uint256 private constant _CREDIT_CODE_LENGTH = 18;
    /// @dev Bit `c` is set for each byte `c` in `0-9`.
    uint256 private constant _DIGITS = 0x3ff000000000000;
    /// @dev Bit `c` is set for each byte `c` in the unified social credit code alphabet `0-9A-HJ-NP-RTUW-Y`.
    uint256 private constant _CREDIT_CODE_ALPHABET = 0x3b77dfe03ff000000000000;
    /// @dev Shortest and longest GS1 company prefix a product key may be (GTIN-13 form).
    uint256 private constant _MIN_PREFIX_LENGTH = 6;
    uint256 private constant _MAX_PREFIX_LENGTH = 12;
    uint256 private constant _GTIN14_LENGTH = 14;

    mapping(bytes32 participantId => Participant) private _participants;
    mapping(address signer => SigningKey) private _signingKeys;
    mapping(bytes32 participantId => address[] signers) private _signersOf;
    /// @dev The producer each assigned product key (a company prefix or a GTIN-14) belongs to, by keccak256 of the key.
    mapping(bytes32 keyHash => bytes32 producerId) private _productKeyOwners;
    /// @dev The product keys of each producer, in the order they were assigned.
    mapping(bytes32 producerId => string[] keys) private _productKeysOf;
    /**
     * @dev True for every proper prefix (6 digits or longer, GTIN-13 form) of an assigned key, by keccak256: a
     * company prefix marked here would cover an assigned key.
     */
    mapping(bytes32 prefixHash => bool) private _belowAssignedKey;
    mapping(bytes32 labId => SpotCheckDesignation) private _spotChecks;

    /**
     * @dev Reverts with {ParticipantRegistryUnauthorizedRevoker} unless the caller has `REGISTRAR_ROLE` or
     * `REGULATOR_ROLE`.
     */
    modifier onlyRegistrarOrRegulator() {
        _checkRegistrarOrRegulator(_msgSender());
        _;
    }

    /**
     * @dev Grants `DEFAULT_ADMIN_ROLE` to `admin`.
     *
     * Requirements:
     *
     * - `admin` is not the zero address.
     */
    constructor(address admin) {
        if (admin == address(0)) revert ParticipantRegistryInvalidAdmin(admin);
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
    }

    /// @inheritdoc IParticipantRegistry
    function registerLab(
        bytes32 participantId,
        string calldata name,
        string calldata cmaNumber,
        uint64 accreditedFrom,
        uint64 accreditedUntil
    ) external onlyRole(REGISTRAR_ROLE) {
        _checkCmaNumber(cmaNumber);
        _checkWindow(accreditedFrom, accreditedUntil);
        Participant storage lab = _register(participantId, ParticipantKind.Lab, name, cmaNumber);
        lab.accreditedFrom = accreditedFrom;
        lab.accreditedUntil = accreditedUntil;
        emit AccreditationUpdated(participantId, accreditedFrom, accreditedUntil);
    }

    /// @inheritdoc IParticipantRegistry
    function registerProducer(
        bytes32 participantId,
        string calldata name,
        string calldata creditCode
    ) external onlyRole(REGISTRAR_ROLE) {
        _checkCreditCode(creditCode);
        _register(participantId, ParticipantKind.Producer, name, creditCode);
    }

    /// @inheritdoc IParticipantRegistry
    function registerDepartment(
        bytes32 participantId,
        string calldata name,
        string calldata creditCode
    ) external onlyRole(REGISTRAR_ROLE) {
        _checkCreditCode(creditCode);
        _register(participantId, ParticipantKind.Department, name, creditCode);
    }

    /// @inheritdoc IParticipantRegistry
    function renewAccreditation(bytes32 participantId, uint64 accreditedUntil) external onlyRole(REGISTRAR_ROLE) {
        Participant storage lab = _participants[participantId];
        _checkRegistered(participantId, lab);
        _checkNotRevoked(participantId, lab);
        _checkKind(participantId, lab, ParticipantKind.Lab);
        _checkExtends(participantId, lab.accreditedUntil, accreditedUntil);
        lab.accreditedUntil = accreditedUntil;
        emit AccreditationUpdated(participantId, lab.accreditedFrom, accreditedUntil);
    }

    /// @inheritdoc IParticipantRegistry
    function revokeParticipant(bytes32 participantId) external onlyRegistrarOrRegulator {
        Participant storage participant = _participants[participantId];
        _checkRegistered(participantId, participant);
        _checkNotRevoked(participantId, participant);
        uint64 revokedAt = _now();
        participant.revokedAt = revokedAt;
        emit ParticipantRevoked(participantId, _msgSender(), revokedAt);
    }

    /// @inheritdoc IParticipantRegistry
    function addSigningKey(
        bytes32 participantId,
        address signer,
        uint64 validFrom,
        uint64 validTo
    ) external onlyRole(REGISTRAR_ROLE) {
        Participant storage participant = _participants[participantId];
        _checkRegistered(participantId, participant);
        _checkNotRevoked(participantId, participant);
        _checkNewSigner(signer);
        _checkWindow(validFrom, validTo);
        _signingKeys[signer] = SigningKey({
            participantId: participantId,
            validFrom: validFrom,
            validTo: validTo,
            revokedAt: 0
        });
        _signersOf[participantId].push(signer);
        emit SigningKeyAdded(participantId, signer, validFrom, validTo);
    }

    /// @inheritdoc IParticipantRegistry
    function revokeSigningKey(address signer) external onlyRegistrarOrRegulator {
        SigningKey storage key = _signingKeys[signer];
        _checkKnownKey(signer, key);
        _checkKeyNotRevoked(signer, key);
        uint64 revokedAt = _now();
        key.revokedAt = revokedAt;
        emit SigningKeyRevoked(key.participantId, signer, _msgSender(), revokedAt);
    }

    /// @inheritdoc IParticipantRegistry
    function assignProductKey(bytes32 producerId, string calldata key) external onlyRole(REGISTRAR_ROLE) {
        Participant storage producer = _participants[producerId];
        _checkRegistered(producerId, producer);
        _checkNotRevoked(producerId, producer);
        _checkKind(producerId, producer, ParticipantKind.Producer);
        bytes calldata digits = bytes(key);
        bool isGtin = digits.length == _GTIN14_LENGTH;
        _checkProductKey(key, isGtin);
        _checkProductKeyFree(key, isGtin);
        // The GTIN-13 form of the key and the proper prefixes of it that a company prefix could be.
        bytes calldata body = isGtin ? digits[1:] : digits;
        uint256 longest = isGtin ? _MAX_PREFIX_LENGTH : digits.length - 1;
        for (uint256 length = _MIN_PREFIX_LENGTH; length <= longest; ++length) {
            _belowAssignedKey[keccak256(body[:length])] = true;
        }
        _productKeyOwners[keccak256(digits)] = producerId;
        _productKeysOf[producerId].push(key);
        emit ProductKeyAssigned(producerId, key);
    }

    /// @inheritdoc IParticipantRegistry
    function designateSpotCheckLab(bytes32 labId, uint64 from, uint64 until) external onlyRole(REGULATOR_ROLE) {
        Participant storage lab = _participants[labId];
        _checkRegistered(labId, lab);
        _checkNotRevoked(labId, lab);
        _checkKind(labId, lab, ParticipantKind.Lab);
        _checkWindow(from, until);
        _spotChecks[labId] = SpotCheckDesignation({from: from, until: until});
        emit SpotCheckDesignated(labId, from, until);
    }

    /// @inheritdoc IParticipantRegistry
    function endSpotCheckDesignation(bytes32 labId) external onlyRole(REGULATOR_ROLE) {
        SpotCheckDesignation storage designation = _spotChecks[labId];
        uint64 endedAt = _now();
        _checkSpotCheckInForce(labId, designation, endedAt);
        designation.until = endedAt;
        emit SpotCheckDesignated(labId, designation.from, endedAt);
    }

    /// @inheritdoc IParticipantRegistry
    function spotCheckWindow(bytes32 labId) external view returns (uint64 from, uint64 until) {
        SpotCheckDesignation storage designation = _spotChecks[labId];
        return (designation.from, designation.until);
    }

    /// @inheritdoc IParticipantRegistry
    function isValidSigner(address signer, ParticipantKind kind, uint64 at) external view returns (bool) {
        SigningKey storage key = _signingKeys[signer];
        if (key.participantId == bytes32(0)) return false;
        Participant storage participant = _participants[key.participantId];
        return
            participant.kind == kind &&
            _within(at, key.validFrom, key.validTo) &&
            _inForce(key.revokedAt, at) &&
            _inForce(participant.revokedAt, at) &&
            (kind != ParticipantKind.Lab || _within(at, participant.accreditedFrom, participant.accreditedUntil));
    }

    /// @inheritdoc IParticipantRegistry
    function participantOf(address signer) external view returns (bytes32 participantId) {
        return _signingKeys[signer].participantId;
    }

    /// @inheritdoc IParticipantRegistry
    function getParticipant(bytes32 participantId) external view returns (Participant memory) {
        Participant storage participant = _participants[participantId];
        _checkRegistered(participantId, participant);
        return participant;
    }

    /// @inheritdoc IParticipantRegistry
    function getSigningKey(address signer) external view returns (SigningKey memory) {
        SigningKey storage key = _signingKeys[signer];
        _checkKnownKey(signer, key);
        return key;
    }

    /// @inheritdoc IParticipantRegistry
    function signingKeysOf(bytes32 participantId) external view returns (address[] memory) {
        _checkRegistered(participantId, _participants[participantId]);
        return _signersOf[participantId];
    }

    /// @inheritdoc IParticipantRegistry
    function productKeyOwner(string calldata gtin14) external view returns (bytes32 producerId) {
        bytes calldata digits = bytes(gtin14);
        if (!_isWordOf(digits, _GTIN14_LENGTH, _DIGITS)) return bytes32(0);
        producerId = _productKeyOwners[keccak256(digits)];
        for (uint256 length = _MAX_PREFIX_LENGTH; producerId == bytes32(0) && length >= _MIN_PREFIX_LENGTH; --length) {
            producerId = _productKeyOwners[keccak256(digits[1:1 + length])];
        }
    }

    /// @inheritdoc IParticipantRegistry
    function productKeysOf(bytes32 producerId) external view returns (string[] memory) {
        return _productKeysOf[producerId];
    }

    /// @inheritdoc AccessControl
    function supportsInterface(bytes4 interfaceId) public view virtual override returns (bool) {
        return interfaceId == type(IParticipantRegistry).interfaceId || super.supportsInterface(interfaceId);
    }

    /**
     * @dev Records a new participant and emits {ParticipantRegistered}; returns its storage for kind-specific
     * fields. Checks the id and the name.
     */
    function _register(
        bytes32 participantId,
        ParticipantKind kind,
        string calldata name,
        string calldata code
    ) internal returns (Participant storage participant) {
        participant = _participants[participantId];
        _checkNewParticipant(participantId, participant);
        _checkName(participantId, name);
        participant.kind = kind;
        participant.registeredAt = _now();
        participant.name = name;
        participant.code = code;
        emit ParticipantRegistered(participantId, kind, name, code);
    }

    /**
     * @dev Reverts with {ParticipantRegistryUnauthorizedRevoker} unless `account` has `REGISTRAR_ROLE` or
     * `REGULATOR_ROLE`.
     */
    function _checkRegistrarOrRegulator(address account) internal view {
        if (!hasRole(REGISTRAR_ROLE, account) && !hasRole(REGULATOR_ROLE, account)) {
            revert ParticipantRegistryUnauthorizedRevoker(account);
        }
    }

    /**
     * @dev Reverts with {ParticipantRegistryInvalidParticipantId} for the zero id, with
     * {ParticipantRegistryDuplicateParticipant} if the id is taken.
     */
    function _checkNewParticipant(bytes32 participantId, Participant storage participant) internal view {
        if (participantId == bytes32(0)) revert ParticipantRegistryInvalidParticipantId(participantId);
        if (participant.registeredAt != 0) revert ParticipantRegistryDuplicateParticipant(participantId);
    }

    /// @dev Reverts with {ParticipantRegistryUnknownParticipant} unless the participant is registered.
    function _checkRegistered(bytes32 participantId, Participant storage participant) internal view {
        if (participant.registeredAt == 0) revert ParticipantRegistryUnknownParticipant(participantId);
    }

    /// @dev Reverts with {ParticipantRegistryRevokedParticipant} if the participant is revoked.
    function _checkNotRevoked(bytes32 participantId, Participant storage participant) internal view {
        uint64 revokedAt = participant.revokedAt;
        if (revokedAt != 0) revert ParticipantRegistryRevokedParticipant(participantId, revokedAt);
    }

    /// @dev Reverts with {ParticipantRegistryUnexpectedKind} unless the participant is of kind `kind`.
    function _checkKind(bytes32 participantId, Participant storage participant, ParticipantKind kind) internal view {
        if (participant.kind != kind) revert ParticipantRegistryUnexpectedKind(participantId, participant.kind);
    }

    /// @dev Reverts with {ParticipantRegistryEmptyName} if `name` is empty.
    function _checkName(bytes32 participantId, string calldata name) internal pure {
        if (bytes(name).length == 0) revert ParticipantRegistryEmptyName(participantId);
    }

    /// @dev Reverts with {ParticipantRegistryInvalidCmaNumber} unless `cmaNumber` is 12 ASCII digits.
    function _checkCmaNumber(string calldata cmaNumber) internal pure {
        if (!_isWordOf(bytes(cmaNumber), _CMA_NUMBER_LENGTH, _DIGITS)) {
            revert ParticipantRegistryInvalidCmaNumber(cmaNumber);
        }
    }

    /**
     * @dev Reverts with {ParticipantRegistryInvalidCreditCode} unless `creditCode` is 18 characters of the unified
     * social credit code alphabet.
     */
    function _checkCreditCode(string calldata creditCode) internal pure {
        if (!_isWordOf(bytes(creditCode), _CREDIT_CODE_LENGTH, _CREDIT_CODE_ALPHABET)) {
            revert ParticipantRegistryInvalidCreditCode(creditCode);
        }
    }

    /**
     * @dev Reverts with {ParticipantRegistryInvalidWindow} unless `from < to`, with
     * {ParticipantRegistryWindowStartsInPast} if `from` lies more than `WINDOW_START_TOLERANCE` before the block.
     */
    function _checkWindow(uint64 from, uint64 to) internal view {
        if (from >= to) revert ParticipantRegistryInvalidWindow(from, to);
        uint64 earliest = _now() - WINDOW_START_TOLERANCE;
        if (from < earliest) revert ParticipantRegistryWindowStartsInPast(from, earliest);
    }

    /// @dev Reverts with {ParticipantRegistryAccreditationNotExtended} unless `newUntil > until`.
    function _checkExtends(bytes32 participantId, uint64 until, uint64 newUntil) internal pure {
        if (newUntil <= until) revert ParticipantRegistryAccreditationNotExtended(participantId, until, newUntil);
    }

    /**
     * @dev Reverts with {ParticipantRegistryInvalidSigner} for the zero address, with
     * {ParticipantRegistryDuplicateKey} if `signer` already is (or was) a signing key.
     */
    function _checkNewSigner(address signer) internal view {
        if (signer == address(0)) revert ParticipantRegistryInvalidSigner(signer);
        if (_signingKeys[signer].participantId != bytes32(0)) revert ParticipantRegistryDuplicateKey(signer);
    }

    /// @dev Reverts with {ParticipantRegistryNoSpotCheckDesignation} unless the designation ends after `at`.
    function _checkSpotCheckInForce(bytes32 labId, SpotCheckDesignation storage designation, uint64 at) internal view {
        if (designation.until <= at) revert ParticipantRegistryNoSpotCheckDesignation(labId);
    }

    /// @dev Reverts with {ParticipantRegistryUnknownKey} unless `signer` is a signing key.
    function _checkKnownKey(address signer, SigningKey storage key) internal view {
        if (key.participantId == bytes32(0)) revert ParticipantRegistryUnknownKey(signer);
    }

    /// @dev Reverts with {ParticipantRegistryRevokedKey} if the key is revoked.
    function _checkKeyNotRevoked(address signer, SigningKey storage key) internal view {
        uint64 revokedAt = key.revokedAt;
        if (revokedAt != 0) revert ParticipantRegistryRevokedKey(signer, revokedAt);
    }

    /**
     * @dev Reverts with {ParticipantRegistryInvalidProductKey} unless `key` is a company prefix of 6 to 12 ASCII
     * digits or (when `isGtin`) 14 ASCII digits.
     */
    function _checkProductKey(string calldata key, bool isGtin) internal pure {
        bytes calldata digits = bytes(key);
        uint256 length = digits.length;
        bool prefixLength = length >= _MIN_PREFIX_LENGTH && length <= _MAX_PREFIX_LENGTH;
        if (!(isGtin || prefixLength) || !_isWordOf(digits, length, _DIGITS)) {
            revert ParticipantRegistryInvalidProductKey(key);
        }
    }

    /**
     * @dev Reverts with {ParticipantRegistryProductKeyTaken} if an assigned key covers `key` (the same key, or a
     * company prefix that its GTIN-13 form starts with), with {ParticipantRegistryProductKeyOverlaps} if the
     * company prefix `key` covers an assigned key. O(length of `key`).
     */
    function _checkProductKeyFree(string calldata key, bool isGtin) internal view {
        bytes calldata digits = bytes(key);
        bytes32 owner = _productKeyOwners[keccak256(digits)];
        if (owner != bytes32(0)) revert ParticipantRegistryProductKeyTaken(key, key, owner);
        bytes calldata body = isGtin ? digits[1:] : digits;
        uint256 longest = isGtin ? _MAX_PREFIX_LENGTH : digits.length - 1;
        for (uint256 length = _MIN_PREFIX_LENGTH; length <= longest; ++length) {
            owner = _productKeyOwners[keccak256(body[:length])];
            if (owner != bytes32(0)) revert ParticipantRegistryProductKeyTaken(key, string(body[:length]), owner);
        }
        if (!isGtin && _belowAssignedKey[keccak256(digits)]) revert ParticipantRegistryProductKeyOverlaps(key);
    }

    /// @dev True if `from <= at <= to`.
    function _within(uint64 at, uint64 from, uint64 to) private pure returns (bool) {
        return from <= at && at <= to;
    }

    /// @dev True if something revoked at `revokedAt` (zero: never) was still in force at `at`.
    function _inForce(uint64 revokedAt, uint64 at) private pure returns (bool) {
        return revokedAt == 0 || at < revokedAt;
    }

    /// @dev True if `word` is `length` bytes long and every byte `c` has bit `c` set in `alphabet`.
    function _isWordOf(bytes calldata word, uint256 length, uint256 alphabet) private pure returns (bool) {
        if (word.length != length) return false;
        for (uint256 i = 0; i < length; ++i) {
            if ((alphabet >> uint8(word[i])) & 1 == 0) return false;
        }
        return true;
    }
}
