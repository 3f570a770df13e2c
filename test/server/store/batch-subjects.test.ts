/* server/store: a batch's Digital Link key (its subject `{GTIN-14}/{lot}`) is unique (migration 4); other records may share subjects. */
import path from "node:path";
import Database from "better-sqlite3";
import { expect } from "chai";
import { MIGRATIONS } from "../../../server/store/migrations";
import { openSqliteStore } from "../../../server/store/sqlite";
import {
  StoreConflictError,
  type NewRecord,
} from "../../../server/store/types";
import { tempDir } from "../../support/system";
import { STORE_KINDS, freshStore, type StoreKind } from "./store-kinds";

const SUBJECT = "06901234567892/ZY-2025-09A";

let n = 0;
/** A stored-form record (the store checks no signature or hash: only its own constraints). */
function rec(id: string, type: string, subject: string | null): NewRecord {
  n++;
  return {
    id,
    logId:
      type === "Batch" || type === "SeleniumTestReport"
        ? "products"
        : "data-sharing",
    type: type as NewRecord["type"],
    body: { id },
    salts: {},
    recordRoot: `0x${"11".repeat(32)}`,
    signer: `0x${"22".repeat(20)}`,
    signature: `0x${n.toString(16).padStart(130, "0")}`,
    issuedAt: "2026-01-01T00:00:00Z",
    entry: "{}",
    leafHash: new Uint8Array(32).fill(n % 256),
    participantId: null,
    subject,
  };
}

async function conflictOf(p: Promise<unknown>): Promise<StoreConflictError> {
  let err: unknown;
  try {
    await p;
  } catch (e) {
    err = e;
  }
  expect(err, "expected a StoreConflictError").to.be.instanceOf(
    StoreConflictError
  );
  return err as StoreConflictError;
}

function describeOn(kind: StoreKind) {
  describe(`server/store batch subjects (GTIN + lot is unique) (${kind.name})`, () => {
    it('When a second batch has the GTIN and lot of the first, Then the store refuses it with what "subject", naming the existing batch', async () => {
      const store = await freshStore(kind);
      try {
        await store.insertRecord(rec("P-first", "Batch", SUBJECT));
        const err = await conflictOf(
          store.insertRecord(rec("P-second", "Batch", SUBJECT))
        );
        expect(err.what).to.equal("subject");
        expect(err.subject).to.equal(SUBJECT);
        expect(err.existingId).to.equal("P-first");
        expect(await store.getRecord("P-second")).to.equal(undefined);
      } finally {
        await store.close();
      }
    });

    it("When the same batch is inserted again, Then it is an id conflict (a replay), not a subject one", async () => {
      const store = await freshStore(kind);
      try {
        const first = rec("P-again", "Batch", SUBJECT);
        await store.insertRecord(first);
        expect(
          (
            await conflictOf(
              store.insertRecord({
                ...first,
                signature: `0x${"ff".repeat(65)}`,
              })
            )
          ).what
        ).to.equal("id");
      } finally {
        await store.close();
      }
    });

    it("When reports name the same batch, or batches have no GTIN, Then subjects may repeat", async () => {
      const store = await freshStore(kind);
      try {
        await store.insertRecord(rec("R-1", "SeleniumTestReport", "P-first"));
        await store.insertRecord(rec("R-2", "SeleniumTestReport", "P-first"));
        await store.insertRecord(rec("P-nogtin-1", "Batch", null));
        await store.insertRecord(rec("P-nogtin-2", "Batch", null));
        expect(await store.listRecords({ subject: "P-first" })).to.have.length(
          2
        );
      } finally {
        await store.close();
      }
    });

    it("When a group commit holds two batches with one GTIN and lot, Then the later gets the subject conflict and the earlier is stored", async () => {
      const store = await freshStore(kind);
      try {
        const outcomes = await store.insertRecordsEach([
          rec("G-1", "Batch", SUBJECT),
          rec("G-2", "Batch", SUBJECT),
        ]);
        expect(outcomes[0]).to.not.be.instanceOf(StoreConflictError);
        expect(outcomes[1]).to.be.instanceOf(StoreConflictError);
        expect((outcomes[1] as StoreConflictError).existingId).to.equal("G-1");
        expect(
          await conflictOf(
            store.insertRecords([
              rec("T-1", "Batch", "x/1"),
              rec("T-2", "Batch", "x/1"),
            ])
          )
        ).to.include({ what: "subject", existingId: "T-1" });
        expect(await store.getRecord("T-1"), "all or nothing").to.equal(
          undefined
        );
      } finally {
        await store.close();
      }
    });
  });
}
for (const kind of STORE_KINDS) describeOn(kind);

describe("server/store batch subjects: migration (SQLite)", () => {
  it("When a database from before migration 4 holds a GTIN and lot twice, Then the first registered keeps the key and the later loses its subject", async () => {
    const file = path.join(tempDir("traceledger-store-"), "old.db");
    const old = new Database(file);
    for (const [v, sql] of MIGRATIONS.slice(0, 3).entries()) {
      old.exec(sql);
      old.pragma(`user_version = ${v + 1}`);
    }
    const insert = old.prepare(
      `INSERT INTO records (id, log_id, type, body, salts, record_root, signer, signature, issued_at, entry, leaf_hash, participant_id, subject, received_at)
       VALUES (?, 'products', 'Batch', '{}', '{}', '0x', '0x', ?, '2026-01-01T00:00:00Z', '{}', x'00', NULL, ?, 0)`
    );
    insert.run("OLD-first", "sig-1", SUBJECT);
    insert.run("OLD-squatter", "sig-2", SUBJECT);
    insert.run("OLD-other", "sig-3", "06901234567892/OTHER");
    old.close();

    const store = openSqliteStore(file);
    try {
      expect(
        (await store.listRecords({ type: "Batch", subject: SUBJECT })).map(
          (r) => r.id
        )
      ).to.deep.equal(["OLD-first"]);
      expect((await store.getRecord("OLD-squatter"))?.subject).to.equal(null);
      expect((await store.getRecord("OLD-other"))?.subject).to.equal(
        "06901234567892/OTHER"
      );
      expect(
        (await conflictOf(store.insertRecord(rec("NEW", "Batch", SUBJECT))))
          .existingId
      ).to.equal("OLD-first");
    } finally {
      await store.close();
    }
  });
});
