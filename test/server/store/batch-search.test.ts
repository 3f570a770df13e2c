/* server/store batch search (migration 7): public fields only, one producer's batches, fast with 10,000+ batches. */
import { expect } from "chai";
import type { SqliteStore } from "../../../server/store/sqlite";
import type { NewRecord, Store } from "../../../server/store/types";
import { STORE_KINDS, type StoreKind } from "./store-kinds";

const OWNER = `0x${"aa".repeat(32)}`;
const OTHER = `0x${"bb".repeat(32)}`;
const GTIN_A = "06901234567892";
const GTIN_B = "06907777000015";

let n = 0;
/** A stored-form batch (the store checks no signature or hash: only its own constraints). */
function batch(
  participantId: string,
  i: number,
  extra: Record<string, unknown> = {}
): NewRecord {
  n++;
  const gtin =
    i % 5 === 0 ? (participantId === OWNER ? GTIN_A : GTIN_B) : undefined;
  const lot = `L${String(i).padStart(5, "0")}`;
  const body = {
    id: `${participantId.slice(2, 8)}-B${i}`,
    lot,
    ...(gtin ? { gtin } : {}),
    productCategory: i % 2 === 0 ? "tea" : "paddy-rice",
    productionDate: {
      kind: "harvest",
      date: `2026-0${1 + (i % 9)}-1${i % 10}`,
    },
    ...(i % 3 === 0 ? { certificate: { productName: `紫阳毛尖${i}` } } : {}),
    certificateIssuer: {
      committingParty: "SECRET-PARTY",
      phone: "0915-4321001",
    },
    ...extra,
  };
  return {
    id: String(body.id),
    logId: "products",
    type: "Batch",
    body,
    salts: {},
    recordRoot: `0x${"11".repeat(32)}`,
    signer: `0x${"22".repeat(20)}`,
    signature: `0x${n.toString(16).padStart(130, "0")}`,
    issuedAt: "2026-01-01T00:00:00Z",
    entry: "{}",
    leafHash: new Uint8Array(32).fill(n % 256),
    participantId,
    subject: gtin ? `${gtin}/${lot}` : null,
  };
}

for (const kind of STORE_KINDS) describeOn(kind);

function describeOn(kind: StoreKind) {
  describe(`server/store batch search (10,000 batches) (${kind.name})`, function () {
    this.timeout(120_000);
    let store: Store;
    let open: () => Promise<Store>;

    before(async () => {
      open = await kind.fresh();
      store = await open();
      const mine = Array.from({ length: 10_000 }, (_, i) => batch(OWNER, i));
      const theirs = Array.from({ length: 2_000 }, (_, i) => batch(OTHER, i));
      await store.insertRecords([...mine, ...theirs]);
    });
    after(async () => store?.close());

    it("When one producer's batches are searched by part of the lot, Then only its own come back, newest first, with the total", async () => {
      const { records, total } = await store.searchBatches({
        participantId: OWNER,
        lot: "L0012",
        order: "desc",
        limit: 5,
      });
      expect(total).to.equal(10); // L00120…L00129
      expect(records.map((r) => r.body.lot)).to.deep.equal([
        "L00129",
        "L00128",
        "L00127",
        "L00126",
        "L00125",
      ]);
      expect(records.every((r) => r.participantId === OWNER)).to.equal(true);
    });

    it("When the cursor of a page is passed, Then the next page continues in the same order without repeats", async () => {
      const seen = new Set<string>();
      let after: number | undefined;
      for (let page = 0; page < 4; page++) {
        const { records } = await store.searchBatches({
          participantId: OWNER,
          category: "tea",
          order: "desc",
          limit: 50,
          afterArrival: after,
        });
        for (const r of records) {
          expect(seen.has(r.id)).to.equal(false);
          seen.add(r.id);
        }
        after = records.at(-1)!.arrival;
      }
      expect(seen.size).to.equal(200);
    });

    it("When searching by GTIN, date range and product name, Then every filter must match", async () => {
      expect(
        (
          await store.searchBatches({
            participantId: OWNER,
            gtin: GTIN_A,
            order: "asc",
            limit: 1,
          })
        ).total
      ).to.equal(2000);
      const ranged = await store.searchBatches({
        participantId: OWNER,
        dateFrom: "2026-01-10",
        dateTo: "2026-01-10",
        order: "asc",
        limit: 10_000,
      });
      expect(
        ranged.records.every(
          (r) =>
            (r.body.productionDate as { date: string }).date === "2026-01-10"
        )
      ).to.equal(true);
      expect(ranged.total).to.be.greaterThan(0);
      const named = await store.searchBatches({
        participantId: OWNER,
        text: "紫阳毛尖9999",
        order: "asc",
        limit: 10,
      });
      expect(named.records.map((r) => r.body.lot)).to.deep.equal(["L09999"]);
    });

    it("When the search text is only in a private field (the certificate issuer), Then nothing is found", async () => {
      expect(
        (
          await store.searchBatches({
            text: "SECRET-PARTY",
            order: "asc",
            limit: 10,
          })
        ).total
      ).to.equal(0);
      expect(
        (
          await store.searchBatches({
            text: "0915-4321001",
            order: "asc",
            limit: 10,
          })
        ).total
      ).to.equal(0);
    });

    it("When a producer's batches or a GTIN's are searched, Then the queries the store runs use migration 7's indexes", function () {
      if (kind.name !== "SQLite") this.skip();
      const db = (store as SqliteStore).db;
      const plan = (sql: string, ...args: unknown[]) =>
        (
          db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...args) as {
            detail: string;
          }[]
        )
          .map((r) => r.detail)
          .join(" | ");
      const where =
        "type = 'Batch' AND participant_id = ? AND json_extract(body, '$.lot') LIKE ? ESCAPE '\\'";
      expect(
        plan(
          `SELECT * FROM records INDEXED BY records_batch_owner WHERE ${where} ORDER BY arrival DESC LIMIT 20`,
          OWNER,
          "%L1%"
        )
      ).to.contain("USING INDEX records_batch_owner");
      expect(
        plan(
          `SELECT COUNT(*) FROM records INDEXED BY records_batch_owner WHERE ${where}`,
          OWNER,
          "%L1%"
        )
      ).to.contain("USING INDEX records_batch_owner");
      const byGtin =
        "SELECT * FROM records INDEXED BY records_batch_gtin WHERE type = 'Batch' AND json_extract(body, '$.gtin') = ? ORDER BY arrival DESC LIMIT 50";
      expect(plan(byGtin, GTIN_A)).to.contain("USING INDEX records_batch_gtin");
    });

    it("When 10,000 batches of one producer are searched by text, Then it answers (timed)", async () => {
      const started = process.hrtime.bigint();
      const { total } = await store.searchBatches({
        participantId: OWNER,
        text: "L0999",
        order: "desc",
        limit: 20,
      });
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      console.log(
        `      [measure] ${
          kind.name
        }: text search over 10,000 batches of one producer (12,000 in all): ${ms.toFixed(
          1
        )} ms`
      );
      expect(total).to.equal(10);
    });

    it("When the store is closed and opened again (a restart after a power cut), Then every batch is there and the migration is not applied twice", async () => {
      await store.close();
      store = await open();
      expect(
        (
          await store.searchBatches({
            participantId: OWNER,
            order: "asc",
            limit: 1,
          })
        ).total
      ).to.equal(10_000);
      expect(
        (
          await store.searchBatches({
            participantId: OTHER,
            order: "asc",
            limit: 1,
          })
        ).total
      ).to.equal(2_000);
    });
  });
}
