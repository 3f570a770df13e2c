/* server/store: applyMirrorState writes the participant mirror in one transaction, and with `replace` removes what the chain no longer has. */
import { expect } from "chai";
import type {
  MirrorState,
  Participant,
  ParticipantKey,
} from "../../../server/store/types";
import { STORE_KINDS, freshStore } from "./store-kinds";

const id = (n: number) => `0x${n.toString(16).padStart(64, "0")}`;
const addr = (n: number) => `0x${n.toString(16).padStart(40, "0")}`;
const lab = (n: number, name = `lab ${n}`): Participant => ({
  id: id(n),
  kind: "lab",
  name,
  code: String(202727050000 + n),
  validFrom: 0,
  validTo: 2e9,
  data: { registeredAt: 1, revokedAt: null },
  active: true,
});
const producer = (n: number): Participant => ({
  id: id(n),
  kind: "producer",
  name: `producer ${n}`,
  code: `91610924MA6YAB3K${n}`,
  validFrom: null,
  validTo: null,
  data: {},
  active: true,
});
const key = (n: number, participant: number): ParticipantKey => ({
  address: addr(n),
  participantId: id(participant),
  validFrom: 0,
  validTo: 2e9,
  revokedAt: null,
});
const revocation = (leaf: number, revoker: number) => ({
  leafHash: id(0xff00 + leaf),
  revokerId: id(revoker),
  reasonCode: 2,
  revokedAt: 100,
  revokedBy: addr(0xb0),
  txHash: null,
});

for (const kind of STORE_KINDS)
  describe(`server/store applyMirrorState (${kind.name})`, () => {
    it("When the mirror is replaced with the chain state, Then rows the chain lacks go, rows it has stay or change, and the position is saved with them", async () => {
      const store = await freshStore(kind);
      try {
        const before: MirrorState = {
          participants: [lab(1), lab(2), producer(3)],
          keys: [key(11, 1), key(12, 2)],
          productKeys: [
            { key: "6901234", producerId: id(3) },
            { key: "6972345", producerId: id(3) },
          ],
          revocations: [revocation(1, 1), revocation(2, 2)],
        };
        await store.applyMirrorState(before, {
          replace: false,
          position: { key: "mirror:x", value: '{"block":5,"hash":"0xaa"}' },
        });
        expect(
          (await store.keysOf(addr(12))).map((k) => k.participantId)
        ).to.deep.equal([id(2)]);

        // The chain lost lab 2 (and its key and revocation) and the second product key; lab 1 was renamed; lab 4 is new.
        const after: MirrorState = {
          participants: [lab(1, "renamed"), producer(3), lab(4)],
          keys: [key(11, 1), key(14, 4)],
          productKeys: [{ key: "6901234", producerId: id(3) }],
          revocations: [revocation(1, 1)],
        };
        const removed = await store.applyMirrorState(after, {
          replace: true,
          position: { key: "mirror:x", value: '{"block":7,"hash":"0xbb"}' },
        });

        expect(removed).to.deep.equal({
          participants: 1,
          deactivated: 0,
          keys: 1,
          productKeys: 1,
          revocations: 1,
        });
        expect(await store.getParticipant(id(2))).to.equal(undefined);
        expect(await store.keysOf(addr(12))).to.deep.equal([]);
        expect((await store.getParticipant(id(1)))?.name).to.equal("renamed");
        expect((await store.keysOf(addr(14)))[0]?.participantId).to.equal(
          id(4)
        );
        expect(await store.productKeysOf(id(3))).to.deep.equal(["6901234"]);
        expect(
          await store.getRevocation(revocation(2, 2).leafHash, id(2))
        ).to.equal(undefined);
        expect(
          await store.getRevocation(revocation(1, 1).leafHash, id(1))
        ).to.not.equal(undefined);
        expect(await store.getKv("mirror:x")).to.equal(
          '{"block":7,"hash":"0xbb"}'
        );
      } finally {
        await store.close();
      }
    });

    it("When a producer the chain lost still has an API token, Then it stays as an inactive row (the token names it) and its keys go", async () => {
      const store = await freshStore(kind);
      try {
        await store.applyMirrorState(
          {
            participants: [producer(3)],
            keys: [key(13, 3)],
            productKeys: [],
            revocations: [],
          },
          { replace: false }
        );
        await store.insertToken({
          tokenHash: "h",
          role: "producer",
          participantId: id(3),
          label: "",
          createdAt: 1,
          revokedAt: null,
        });

        const removed = await store.applyMirrorState(
          { participants: [], keys: [], productKeys: [], revocations: [] },
          { replace: true }
        );

        expect(removed).to.deep.include({
          participants: 0,
          deactivated: 1,
          keys: 1,
        });
        expect((await store.getParticipant(id(3)))?.active).to.equal(false);
        expect(await store.keysOf(addr(13))).to.deep.equal([]);
        expect((await store.getToken("h"))?.participantId).to.equal(id(3));
      } finally {
        await store.close();
      }
    });

    it("When a replace fails midway, Then nothing of it is applied: the old mirror and position stay whole", async () => {
      const store = await freshStore(kind);
      try {
        await store.applyMirrorState(
          {
            participants: [lab(1)],
            keys: [key(11, 1)],
            productKeys: [],
            revocations: [],
          },
          { replace: false, position: { key: "mirror:x", value: "old" } }
        );
        // A key whose participant is in no row breaks the foreign key, after lab 1's row was already rewritten.
        const broken: MirrorState = {
          participants: [lab(1, "half-written")],
          keys: [key(15, 9)],
          productKeys: [],
          revocations: [],
        };

        let err: unknown;
        await store
          .applyMirrorState(broken, {
            replace: true,
            position: { key: "mirror:x", value: "new" },
          })
          .catch((e: unknown) => (err = e));

        expect(err).to.be.instanceOf(Error);
        expect((await store.getParticipant(id(1)))?.name).to.equal("lab 1");
        expect((await store.keysOf(addr(11))).length).to.equal(1);
        expect(await store.getKv("mirror:x")).to.equal("old");
      } finally {
        await store.close();
      }
    });
  });
