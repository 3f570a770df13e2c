/* server/labels/public-url: npm start warns when the base URL printed in QR codes cannot be reached from a phone. */
import { expect } from 'chai';
import { deadLabelUrlBanner, deadLabelUrlProblem } from '../../../server/labels';

describe('server/labels/public-url', () => {
  it('When PUBLIC_BASE_URL is unset, Then labels are dead links and the problem names the local address printed', () => {
    expect(deadLabelUrlProblem('http://localhost:3000', undefined)).to.contain('PUBLIC_BASE_URL is not set').and.contain('http://localhost:3000');
    expect(deadLabelUrlProblem('http://localhost:3000', '  ')).to.contain('is not set');
  });

  it('When PUBLIC_BASE_URL is local (localhost, 127.x, ::1, 0.0.0.0), Then it is a problem; a public host is not', () => {
    for (const local of ['http://localhost:3000', 'https://LOCALHOST', 'http://app.localhost', 'http://127.0.0.1:4300', 'http://127.8.9.10', 'http://[::1]:3000', 'http://0.0.0.0:3000']) {
      expect(deadLabelUrlProblem(local, local), local).to.contain('local address');
    }
    for (const fine of ['https://trace.example.cn', 'https://trace.ankang.gov.cn/scan', 'http://192.168.1.20:3000', 'https://127.0.0.1.example.cn']) {
      expect(deadLabelUrlProblem(fine, fine), fine).to.equal(null);
    }
  });

  it('When there is a problem, Then the banner is loud (ruled, WARNING) and says how to fix it; none without one', () => {
    const lines = deadLabelUrlBanner('PUBLIC_BASE_URL is not set');
    expect(lines[0]).to.match(/^!{40,}$/);
    expect(lines.join('\n')).to.contain('WARNING').and.contain('dead links').and.contain('PUBLIC_BASE_URL=https://');
    expect(deadLabelUrlBanner(null)).to.deep.equal([]);
  });
});
