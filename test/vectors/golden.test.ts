/**
 * The golden v1 files (test/vectors/golden, see its README.md) still read with today's readers, and
 * the golden bundle still verifies offline: its field disclosures against the record root and its
 * inclusion proof against the anchored checkpoint root. No chain: the chain they were made on is gone.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { ProofError, fromHex, toHex, verifyInclusion } from '../../server/ledger/rfc6962';
import { logEntryLeafHash, parseLogEntry, verifyDisclosures, type Disclosure, type Hex } from '../../server/records';
import { parseReceipt, receiptSigner } from '../../server/trails/receipts';
import { readBundle, type ProofBundle } from '../../server/verification/bundle';
import { verifyBundle } from '../../server/verification/verify';

const GOLDEN = path.join(__dirname, 'golden');
const bytesOf = (file: string): Uint8Array => new Uint8Array(readFileSync(path.join(GOLDEN, file)));
const jsonOf = (file: string): unknown => JSON.parse(readFileSync(path.join(GOLDEN, file), 'utf8'));
/** `0x…` hex → bytes. */
const hash = (hex: string): Uint8Array => fromHex(hex.replace(/^0x/, ''));

interface Manifest {
  bundle: { recordType: string; recordId: string; leafIndex: number; leafHash: string; checkpointSize: number };
  receipt: { recordId: string; operatorAddress: string; leafHash: string };
}

/** Checks a bundle's disclosures and inclusion proof offline; throws on the first failure. */
function verifyBundleOffline(bundle: ProofBundle) {
  const fields = verifyDisclosures(bundle.record.disclosures as Disclosure[], bundle.record.leafCount, bundle.record.recordRoot as Hex);
  verifyInclusion({
    index: bundle.log.leafIndex!,
    size: bundle.checkpoint!.size,
    leafHash: hash(bundle.log.leafHash),
    proof: bundle.log.inclusionProof.map(hash),
    root: hash(bundle.checkpoint!.root),
  });
  return fields;
}

describe('test/vectors/golden: v1 files that readers must keep accepting (offline)', () => {
  const manifest = jsonOf('manifest.json') as Manifest;
  const bundle = readBundle(jsonOf('proof-bundle-v1.json')).bundle;

  it('When the golden bundle is read with readBundle, Then it is a traceledger-proof-v1 bundle of an anchored SeleniumTestReport', () => {
    expect(bundle.format).to.equal('traceledger-proof-v1');
    expect(bundle.record).to.include({ type: manifest.bundle.recordType, id: manifest.bundle.recordId });
    expect(bundle.log.leafIndex).to.equal(manifest.bundle.leafIndex);
    expect(bundle.checkpoint?.size).to.equal(manifest.bundle.checkpointSize);
  });

  it('When the golden log entry is parsed from its bytes and as an object, Then both give the bundle entry, whose leaf hash is the recorded one', () => {
    const bytes = bytesOf('log-entry-v1.json');
    const fromBytes = parseLogEntry(bytes);
    const fromObject = parseLogEntry(JSON.parse(new TextDecoder().decode(bytes)) as object);

    expect(fromBytes).to.deep.equal(fromObject);
    expect(parseLogEntry(bundle.entry)).to.deep.equal(fromBytes);
    expect(fromBytes).to.include({ v: 1, type: 'SeleniumTestReport', id: bundle.record.id, recordRoot: bundle.record.recordRoot });
    const leaf = `0x${toHex(logEntryLeafHash(fromBytes))}`;
    expect(leaf).to.equal(bundle.log.leafHash);
    expect(leaf).to.equal(manifest.bundle.leafHash);
  });

  it('When the golden bundle is verified offline, Then its disclosures match the record root and its inclusion proof the checkpoint root', () => {
    const fields = verifyBundleOffline(bundle);
    expect(fields).to.include({ id: bundle.record.id, analyte: 'Se', unit: 'mg/kg' });
    expect(Object.keys(fields)).to.have.length(bundle.record.disclosures.length).and.to.be.below(bundle.record.leafCount);
  });

  it('When the golden bundle is altered (a disclosed value, a proof node), Then the same offline checks reject it', () => {
    const changedValue = structuredClone(bundle);
    changedValue.record.disclosures.find((d) => d.name === 'result')!.value = 9.99;
    expect(() => verifyBundleOffline(changedValue)).to.throw(/"result" does not verify/);

    const changedProof = structuredClone(bundle);
    changedProof.log.inclusionProof[0] = `0x${'00'.repeat(32)}`;
    expect(() => verifyBundleOffline(changedProof)).to.throw(ProofError);
  });

  it('When the golden trail receipt is read, Then parseReceipt accepts it and its signature recovers to the operator', () => {
    const receipt = parseReceipt(jsonOf('trail-receipt-v1.json'));
    expect(receipt).to.include({ format: 'traceledger-receipt-v1', logId: 'data-sharing', recordId: manifest.receipt.recordId, leafHash: manifest.receipt.leafHash });
    expect(receiptSigner(receipt)).to.equal(manifest.receipt.operatorAddress);
  });

  it('When the golden bundle goes through the shared verifier without a chain, Then every offline step passes (its lab signature included) and the chain steps are skipped', async () => {
    const result = await verifyBundle(jsonOf('proof-bundle-v1.json'), { category: 'tea' });
    const status = Object.fromEntries(result.steps.map((s) => [s.step, s.status]));
    expect(status).to.deep.include({ parseBundle: 'passed', checkFieldDisclosures: 'passed', checkSigner: 'passed', computeLeafHash: 'passed', checkInclusion: 'passed' });
    expect(status).to.deep.include({ checkCheckpointOnChain: 'skipped', checkLabIdentity: 'skipped', checkNotRevoked: 'skipped' });
    expect(result.steps.find((s) => s.step === 'checkSigner')!.code).to.equal('signatureNoChain');
    expect(result).to.deep.include({ verdict: 'valid', failedStep: null, chainChecked: false });
  });
});
