/* server/store: revocations are kept per (record, revoking party); migration 3 carries over the single revocations of migration 1. */
import path from "node:path";
import Database from "better-sqlite3";
import { expect } from "chai";
import { MIGRATIONS } from "../../../server/store/migrations";
import { openSqliteStore } from "../../../server/store/sqlite";
import type { Revocation } from "../../../server/store/types";
import { REGULATOR_REVOKER_ID } from "../../../server/verification/chain";
import { tempDir } from "../../support/system";
import { STORE_KINDS, freshStore } from "./store-kinds";

const LEAF = `0x${"ab".repeat(32)}`;
const OTHER_LEAF = `0x${"cd".repeat(32)}`;
const LAB = `0x${"1a".repeat(32)}`;
const STRANGER = `0x${"5e".repeat(32)}`;
const revocation = (
  revokerId: string,
  revokedAt: number,
  leafHash = LEAF
): Revocation => ({
  leafHash,
  revokerId,
  reasonCode: 2,
  revokedAt,
  revokedBy: "0x00000000000000000000000000000000000000b0",
  txHash: null,
});

describe("server/store revocations", () => {
  for (const kind of STORE_KINDS) {
    it(`When a stranger lab, the issuer and the regulator each revoke a record, Then each is kept under its own party and counted (${kind.name})`, async () => {
      const store = await freshStore(kind);
      try {
        await store.upsertRevocation(revocation(STRANGER, 10));
        await store.upsertRevocation(revocation(LAB, 20));
        await store.upsertRevocation(revocation(REGULATOR_REVOKER_ID, 30));
        await store.upsertRevocation(revocation(LAB, 20)); // the mirror replaying the same event

        expect(
          (
            await store.getRevocation(
              LEAF.toUpperCase().replace("0X", "0x"),
              LAB
            )
          )?.revokedAt
        ).to.equal(20);
        expect(
          (await store.getRevocation(LEAF, REGULATOR_REVOKER_ID))?.revokedAt
        ).to.equal(30);
        expect(await store.getRevocation(OTHER_LEAF, LAB)).to.equal(undefined);
        expect(
          (await store.revocationsOf(LEAF)).map((r) => r.revokerId)
        ).to.deep.equal([STRANGER, LAB, REGULATOR_REVOKER_ID]);
        expect(await store.countRevocations([LEAF, OTHER_LEAF])).to.equal(3);
        expect(await store.countRevocations([])).to.equal(0);
      } finally {
        await store.close();
      }
    });
  }

  it("When a database made before migration 3 (SQLite) is opened, Then its revocations are kept: a regulator's (NULL participant) under revoker id zero, a lab's under the lab", async () => {
    const file = path.join(tempDir("traceledger-store-"), "old.db");
    const old = new Database(file);
    for (const [v, sql] of MIGRATIONS.slice(0, 2).entries()) {
      old.exec(sql);
      old.pragma(`user_version = ${v + 1}`);
    }
    const insert = old.prepare(
      "INSERT INTO revocations (leaf_hash, reason_code, revoked_at, revoked_by, participant_id, tx_hash) VALUES (?, ?, ?, ?, ?, ?)"
    );
    insert.run(
      LEAF,
      2,
      100,
      "0x00000000000000000000000000000000000000b0",
      null,
      "0xt1"
    );
    insert.run(
      OTHER_LEAF,
      4,
      200,
      "0x00000000000000000000000000000000000000c0",
      LAB.toUpperCase().replace("0X", "0x"),
      "0xt2"
    );
    old.close();

    const store = openSqliteStore(file);
    try {
      expect(
        await store.getRevocation(LEAF, REGULATOR_REVOKER_ID)
      ).to.deep.equal({
        leafHash: LEAF,
        revokerId: REGULATOR_REVOKER_ID,
        reasonCode: 2,
        revokedAt: 100,
        revokedBy: "0x00000000000000000000000000000000000000b0",
        txHash: "0xt1",
      });
      expect(await store.getRevocation(OTHER_LEAF, LAB)).to.deep.include({
        revokerId: LAB,
        reasonCode: 4,
        revokedAt: 200,
      });
      expect(await store.countRevocations([LEAF, OTHER_LEAF])).to.equal(2);
    } finally {
      await store.close();
    }
  });
});
