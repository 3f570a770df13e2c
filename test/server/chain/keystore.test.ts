/* Keystore files (server/chain/keystore.ts), as the lab and department consoles open them in the browser. */
import { expect } from 'chai';
import { Wallet, encryptKeystoreJsonSync } from 'ethers';
import { KeystoreError, keystoreSummary, openKeystore } from '../../../server/chain/keystore';

/** A keystore with a light scrypt (N = 2^10), so the tests stay quick; the format is the same. */
const keystoreOf = (w: Wallet, password: string): string => encryptKeystoreJsonSync({ address: w.address, privateKey: w.privateKey }, password, { scrypt: { N: 1 << 10 } });

describe('server/chain/keystore', () => {
  const wallet = Wallet.createRandom() as unknown as Wallet;
  const json = keystoreOf(wallet, 'pass 密码');

  it('When the right password opens a keystore, Then the wallet is the key that made it, and it signs', async () => {
    const opened = await openKeystore(json, 'pass 密码');
    expect(opened.address).to.equal(wallet.address);
    expect(await opened.signMessage('x')).to.equal(await wallet.signMessage('x'));
    expect(keystoreSummary(json).address).to.equal(wallet.address.toLowerCase());
  });

  it('When the password is wrong, Then KeystoreError wrong-password', async () => {
    const e = await openKeystore(json, 'pass').catch((x: unknown) => x);
    expect(e).to.be.instanceOf(KeystoreError).and.to.include({ code: 'wrong-password' });
  });

  it('When the file is not a keystore (other JSON, a bare key, a damaged keystore), Then KeystoreError not-a-keystore', async () => {
    const damaged = JSON.stringify({ ...JSON.parse(json), Crypto: { ...JSON.parse(json).Crypto, kdf: 'bcrypt' } });
    for (const file of ['{"hello":"world"}', wallet.privateKey, 'not json', damaged]) {
      const e = await openKeystore(file, 'pass 密码').catch((x: unknown) => x);
      expect(e, file.slice(0, 20)).to.be.instanceOf(KeystoreError).and.to.include({ code: 'not-a-keystore' });
    }
    expect(() => keystoreSummary('{"hello":"world"}')).to.throw(KeystoreError);
  });
});
