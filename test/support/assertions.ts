/** Assertions the tests share. */
import { expect } from 'chai';

/** The error `p` rejects with; fails the test when it resolves. */
export async function rejection(p: Promise<unknown>): Promise<Error> {
  const outcome = await p.then(
    () => undefined,
    (e: unknown) => e as Error,
  );
  expect(outcome, 'rejected').to.be.instanceOf(Error);
  return outcome!;
}
