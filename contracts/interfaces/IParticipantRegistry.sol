// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/**
 * @dev Registry of the participants allowed to sign records (accredited labs, producers, government departments),
 * their signing addresses with validity windows, and revocations. Answers "was address A a signing key of a
 * participant of kind K at time T", for any T past or present.
 *
 * Times are Unix seconds, also on a chain whose block time counts milliseconds (FISCO BCOS): the block's time is
 * read in seconds (see {ChainClock}). Windows are inclusive at both ends: `from <= t && t <= to`. A revocation at time R
 * invalidates every time `t >= R`; revocations take effect at the block time they are made and cannot be
 * backdated, so a signature valid at time T stays valid for T before the revocation.
 */
interface IParticipantRegistry {
    enum ParticipantKind {
        Lab,
        Producer,
        Department
    }

    /**
     * @dev A participant, as returned by {getParticipant}.
     *
     * `code` is the lab's CMA certificate number (12 digits) for a lab, the unified social credit code (18
     * characters) for a producer or a department. `accreditedFrom` and `accreditedUntil` are the lab's CMA
     * accreditation window, zero for other kinds. `revokedAt` is zero while the participant is not revoked.
     */
    struct Participant {
        ParticipantKind kind;
        uint64 registeredAt;
        uint64 revokedAt;
        uint64 accreditedFrom;
        uint64 accreditedUntil;
        string name;
        string code;
    }

    /**
     * @dev A signing key, as returned by {getSigningKey}. `revokedAt` is zero while the key is not revoked.
     */
    struct SigningKey {
        bytes32 participantId;
        uint64 validFrom;
        uint64 validTo;
        uint64 revokedAt;
    }

    /**
     * @dev The admin given to the constructor is the zero address.
     */
    error ParticipantRegistryInvalidAdmin(address admin);

    /**
     * @dev `account` has neither `REGISTRAR_ROLE` nor `REGULATOR_ROLE`.
     */
    error ParticipantRegistryUnauthorizedRevoker(address account);

    /**
     * @dev A participant id must not be zero.
     */
    error ParticipantRegistryInvalidParticipantId(bytes32 participantId);

    /**
     * @dev A participant with that id is already registered.
     */
    error ParticipantRegistryDuplicateParticipant(bytes32 participantId);

    /**
     * @dev No participant is registered with that id.
     */
    error ParticipantRegistryUnknownParticipant(bytes32 participantId);

    /**
     * @dev The participant was revoked at `revokedAt`: it takes no new key, renewal or second revocation.
     */
    error ParticipantRegistryRevokedParticipant(bytes32 participantId, uint64 revokedAt);

    /**
     * @dev The operation needs a participant of another kind (for instance, renewing the accreditation of a
     * producer).
     */
    error ParticipantRegistryUnexpectedKind(bytes32 participantId, ParticipantKind kind);

    /**
     * @dev A participant's name must not be empty.
     */
    error ParticipantRegistryEmptyName(bytes32 participantId);

    /**
     * @dev A CMA certificate number is exactly 12 ASCII digits.
     */
    error ParticipantRegistryInvalidCmaNumber(string cmaNumber);

    /**
     * @dev A unified social credit code is exactly 18 characters from `0-9` and `A-Z` without `I`, `O`, `S`,
     * `V`, `Z` (its check character is verified off chain).
     */
    error ParticipantRegistryInvalidCreditCode(string creditCode);

    /**
     * @dev A validity window must have `from < to`.
     */
    error ParticipantRegistryInvalidWindow(uint64 from, uint64 to);

    /**
     * @dev A validity window may not start before the block's time, less the tolerance
     * `WINDOW_START_TOLERANCE` (one hour): a key or an accreditation registered now cannot be made valid for
     * the past, where it would vouch for records back-dated to before its registration.
     */
    error ParticipantRegistryWindowStartsInPast(uint64 from, uint64 earliest);

    /**
     * @dev A renewal must move the end of the accreditation later than `accreditedUntil`.
     */
    error ParticipantRegistryAccreditationNotExtended(
        bytes32 participantId,
        uint64 accreditedUntil,
        uint64 newAccreditedUntil
    );

    /**
     * @dev A signing key must not be the zero address.
     */
    error ParticipantRegistryInvalidSigner(address signer);

    /**
     * @dev The address is already a signing key, of this or another participant (even if revoked): an address
     * belongs to at most one participant, forever.
     */
    error ParticipantRegistryDuplicateKey(address signer);

    /**
     * @dev The address is not a signing key of any participant.
     */
    error ParticipantRegistryUnknownKey(address signer);

    /**
     * @dev The signing key was already revoked at `revokedAt`.
     */
    error ParticipantRegistryRevokedKey(address signer, uint64 revokedAt);

    /**
     * @dev A product key is a GS1 company prefix of 6 to 12 ASCII digits (in GTIN-13 form: a GTIN-14 without its
     * leading indicator digit) or one full GTIN-14 (14 ASCII digits).
     */
    error ParticipantRegistryInvalidProductKey(string key);

    /**
     * @dev `key` is covered by `assignedKey`, already assigned to `producerId`: `assignedKey` is `key` itself or a
     * company prefix that `key` starts with (a GTIN-14 key from its second digit on).
     */
    error ParticipantRegistryProductKeyTaken(string key, string assignedKey, bytes32 producerId);

    /**
     * @dev The company prefix `key` would cover a key already assigned (a longer prefix, or a GTIN-14 whose digits
     * after the indicator start with `key`).
     */
    error ParticipantRegistryProductKeyOverlaps(string key);

    /**
     * @dev The regulator's designation of a lab for official spot checks (监督抽检), as returned by
     * {spotCheckWindow}: reports the lab issues within `[from, until]` count on any batch. All zero: never designated.
     */
    struct SpotCheckDesignation {
        uint64 from;
        uint64 until;
    }

    /**
     * @dev The lab `labId` has no spot-check designation in force to end (never designated, or already ended).
     */
    error ParticipantRegistryNoSpotCheckDesignation(bytes32 labId);

    /**
     * @dev Emitted when a participant is registered. `code` is the CMA number of a lab, the unified social credit
     * code of a producer or department.
     */
    event ParticipantRegistered(bytes32 indexed participantId, ParticipantKind indexed kind, string name, string code);

    /**
     * @dev Emitted when a lab's accreditation window is set, at registration and at each renewal.
     */
    event AccreditationUpdated(bytes32 indexed participantId, uint64 accreditedFrom, uint64 accreditedUntil);

    /**
     * @dev Emitted when a participant is revoked by `revokedBy`, effective from `revokedAt`.
     */
    event ParticipantRevoked(bytes32 indexed participantId, address indexed revokedBy, uint64 revokedAt);

    /**
     * @dev Emitted when `signer` becomes a signing key of `participantId` for the window `[validFrom, validTo]`.
     */
    event SigningKeyAdded(bytes32 indexed participantId, address indexed signer, uint64 validFrom, uint64 validTo);

    /**
     * @dev Emitted when the signing key `signer` of `participantId` is revoked by `revokedBy`, effective from
     * `revokedAt`.
     */
    event SigningKeyRevoked(
        bytes32 indexed participantId,
        address indexed signer,
        address indexed revokedBy,
        uint64 revokedAt
    );

    /**
     * @dev Emitted when the product key `key` (a GS1 company prefix or one GTIN-14) is assigned to the producer
     * `producerId`.
     */
    event ProductKeyAssigned(bytes32 indexed producerId, string key);

    /**
     * @dev Emitted when the regulator designates the lab `labId` for official spot checks (监督抽检) over
     * `[from, until]`, and again with the shortened window when the designation is ended early.
     */
    event SpotCheckDesignated(bytes32 indexed labId, uint64 from, uint64 until);

    /**
     * @dev Registers the accredited lab `participantId` with its CMA certificate number and accreditation window.
     *
     * Requirements:
     *
     * - the caller must have `REGISTRAR_ROLE`.
     * - `participantId` is not zero and not registered.
     * - `name` is not empty; `cmaNumber` is 12 ASCII digits.
     * - `accreditedFrom < accreditedUntil`; `accreditedFrom` is not before the block's time less one hour.
     *
     * Emits a {ParticipantRegistered} event, then an {AccreditationUpdated} event.
     */
    function registerLab(
        bytes32 participantId,
        string calldata name,
        string calldata cmaNumber,
        uint64 accreditedFrom,
        uint64 accreditedUntil
    ) external;

    /**
     * @dev Registers the producer `participantId` with its unified social credit code.
     *
     * Requirements:
     *
     * - the caller must have `REGISTRAR_ROLE`.
     * - `participantId` is not zero and not registered.
     * - `name` is not empty; `creditCode` is 18 characters of the unified social credit code alphabet.
     *
     * Emits a {ParticipantRegistered} event.
     */
    function registerProducer(bytes32 participantId, string calldata name, string calldata creditCode) external;

    /**
     * @dev Registers the government department `participantId` with its unified social credit code.
     *
     * Requirements:
     *
     * - the caller must have `REGISTRAR_ROLE`.
     * - `participantId` is not zero and not registered.
     * - `name` is not empty; `creditCode` is 18 characters of the unified social credit code alphabet.
     *
     * Emits a {ParticipantRegistered} event.
     */
    function registerDepartment(bytes32 participantId, string calldata name, string calldata creditCode) external;

    /**
     * @dev Extends the accreditation of the lab `participantId` until `accreditedUntil`; the start is unchanged.
     *
     * Requirements:
     *
     * - the caller must have `REGISTRAR_ROLE`.
     * - `participantId` is a registered, unrevoked lab.
     * - `accreditedUntil` is later than the current end of its accreditation.
     *
     * Emits an {AccreditationUpdated} event.
     *
     * WARNING: renewing a lapsed accreditation also validates the gap between the old and the new end. To end an
     * accreditation early, revoke the participant.
     */
    function renewAccreditation(bytes32 participantId, uint64 accreditedUntil) external;

    /**
     * @dev Revokes the participant `participantId` from now on: none of its keys is valid at or after the current
     * block time. Signatures made before stay valid. Permanent.
     *
     * Requirements:
     *
     * - the caller must have `REGISTRAR_ROLE` or `REGULATOR_ROLE`.
     * - `participantId` is registered and not revoked.
     *
     * Emits a {ParticipantRevoked} event.
     */
    function revokeParticipant(bytes32 participantId) external;

    /**
     * @dev Adds `signer` as a signing key of `participantId`, valid from `validFrom` to `validTo` inclusive.
     *
     * Requirements:
     *
     * - the caller must have `REGISTRAR_ROLE`.
     * - `participantId` is registered and not revoked.
     * - `signer` is not the zero address and was never a signing key of any participant.
     * - `validFrom < validTo`; `validFrom` is not before the block's time less one hour.
     *
     * Emits a {SigningKeyAdded} event.
     *
     * WARNING: `validFrom` may lie in the past; the registrar is trusted to enter the real start of the key.
     */
    function addSigningKey(bytes32 participantId, address signer, uint64 validFrom, uint64 validTo) external;

    /**
     * @dev Revokes the signing key `signer` from now on: it is not valid at or after the current block time.
     * Signatures made before stay valid; to disown records signed with a compromised key before its revocation,
     * revoke those records. Permanent.
     *
     * Requirements:
     *
     * - the caller must have `REGISTRAR_ROLE` or `REGULATOR_ROLE`.
     * - `signer` is a signing key and not revoked.
     *
     * Emits a {SigningKeyRevoked} event.
     */
    function revokeSigningKey(address signer) external;

    /**
     * @dev Returns true if, at time `at`, `signer` was a signing key of a participant of kind `kind`: the key's
     * window contains `at`, neither the key nor the participant was revoked at or before `at`, and for a lab the
     * accreditation window contains `at`.
     */
    function isValidSigner(address signer, ParticipantKind kind, uint64 at) external view returns (bool);

    /**
     * @dev Returns the participant that `signer` is (or was) a signing key of; zero if none.
     */
    function participantOf(address signer) external view returns (bytes32 participantId);

    /**
     * @dev Returns the participant `participantId`.
     *
     * Requirements:
     *
     * - `participantId` is registered.
     */
    function getParticipant(bytes32 participantId) external view returns (Participant memory);

    /**
     * @dev Returns the signing key `signer`.
     *
     * Requirements:
     *
     * - `signer` is a signing key.
     */
    function getSigningKey(address signer) external view returns (SigningKey memory);

    /**
     * @dev Returns every signing key ever added to `participantId`, revoked and expired ones included, in the
     * order they were added.
     *
     * Requirements:
     *
     * - `participantId` is registered.
     */
    function signingKeysOf(bytes32 participantId) external view returns (address[] memory);

    /**
     * @dev Assigns the product key `key` to the producer `producerId`: a GS1 company prefix of 6 to 12 digits (in
     * GTIN-13 form, i.e. a GTIN-14 without its indicator digit), which covers every GTIN-14 whose digits after the
     * indicator start with it, or one full GTIN-14, which covers itself. Only the batches of a GTIN that one of
     * its producer's keys covers are that producer's: this is what stops a producer from registering batches
     * under another producer's GTIN (a label hijack). Keys never overlap, and are never removed.
     *
     * Requirements:
     *
     * - the caller must have `REGISTRAR_ROLE`.
     * - `producerId` is a registered, unrevoked producer.
     * - `key` is 6 to 12 or exactly 14 ASCII digits.
     * - no assigned key covers `key` (the same key, or a shorter prefix of it), and `key` covers no assigned key.
     *
     * Emits a {ProductKeyAssigned} event.
     *
     * WARNING: the check digit of a GTIN-14 key is not verified on chain; the registrar is trusted to enter a
     * valid one (a key with a wrong check digit covers no real GTIN).
     */
    function assignProductKey(bytes32 producerId, string calldata key) external;

    /**
     * @dev Returns the producer whose product key covers the GTIN-14 `gtin14`: the one assigned `gtin14` itself,
     * else the one assigned the longest company prefix that `gtin14` starts with after its indicator digit. Zero
     * if no key covers it, or if `gtin14` is not 14 ASCII digits.
     */
    function productKeyOwner(string calldata gtin14) external view returns (bytes32 producerId);

    /**
     * @dev Returns the product keys assigned to `producerId`, in the order they were assigned (empty if none).
     */
    function productKeysOf(bytes32 producerId) external view returns (string[] memory);

    /**
     * @dev Designates the lab `labId` for the regulator's official spot checks (监督抽检) from `from` to `until`
     * inclusive: its reports issued in that window count on any batch, without the producer's commission.
     * Replaces an earlier designation of the same lab.
     *
     * Requirements:
     *
     * - the caller must have `REGULATOR_ROLE`.
     * - `labId` is a registered, unrevoked lab.
     * - `from < until`; `from` is not before the block's time less one hour (a designation cannot vouch for past reports).
     *
     * Emits a {SpotCheckDesignated} event.
     */
    function designateSpotCheckLab(bytes32 labId, uint64 from, uint64 until) external;

    /**
     * @dev Ends the spot-check designation of the lab `labId` now: its window ends at the current block time
     * (a designation that had not started yet becomes empty, `from > until`). Reports issued before keep counting.
     *
     * Requirements:
     *
     * - the caller must have `REGULATOR_ROLE`.
     * - `labId` has a designation that has not ended yet (`until` later than the current block time).
     *
     * Emits a {SpotCheckDesignated} event with the shortened window.
     */
    function endSpotCheckDesignation(bytes32 labId) external;

    /**
     * @dev Returns the spot-check window of the lab `labId`; both zero if it was never designated. A time `t`
     * is within it when `from <= t && t <= until`.
     */
    function spotCheckWindow(bytes32 labId) external view returns (uint64 from, uint64 until);
}
