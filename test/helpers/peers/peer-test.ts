// Declaring a test that needs real peers (daemons, DNS clients): locally a missing one skips it with the reason in
// its title; under CI=true a missing one fails it (.ci/run installs them all, so missing there is a bug).
import test, { type ExecutionContext } from 'ava';

/** `missing`: why the peers cannot run here (empty when they can), e.g. from missingReason(). Tests run serially. */
export function peerTest(missing: readonly string[], title: string, fn: (t: ExecutionContext) => Promise<void>): void {
  if (missing.length > 0 && process.env['CI'] !== 'true') {
    test.serial.skip(`${title} (skipped: ${missing.join('; ')})`, () => undefined);
    return;
  }
  test.serial(title, async (t) => {
    if (missing.length > 0) {
      t.fail(`${missing.join('; ')}; CI=true requires them`);
      return;
    }
    await fn(t);
  });
}
