import test from 'ava';
import { fileURLToPath } from 'node:url';
import { cruise, type ICruiseOptions, type ICruiseResult } from 'dependency-cruiser';
import extractDepcruiseOptions from 'dependency-cruiser/config-utl/extract-depcruise-options';

// compiled to dist/test/, so the repository root is two folders up
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CONFIG = `${ROOT}.dependency-cruiser.cjs`;

async function cruiseSrc(baseDir: string): Promise<{ result: ICruiseResult; violations: string[] }> {
  const options: ICruiseOptions = { ...(await extractDepcruiseOptions(CONFIG)), baseDir };
  const { output } = await cruise(['src'], options);
  if (typeof output === 'string') throw new Error('dependency-cruiser returned text, expected a result object');
  const comments = new Map((options.ruleSet?.forbidden ?? []).map((r) => [r.name, r.comment]));
  const violations = output.summary.violations.map(
    (v) => `${v.rule.name}: ${v.from} -> ${v.to}  (${comments.get(v.rule.name) ?? ''})`,
  );
  return { result: output, violations: violations.sort() };
}

test('src/ imports other folders only through their index.ts and only downwards (.dependency-cruiser.cjs)', async (t) => {
  const { result, violations } = await cruiseSrc(ROOT);
  // the cruise really saw src: cross-folder imports resolved to the faces they name
  const daemon = result.modules.find((m) => m.source === 'src/daemon/index.ts');
  t.truthy(daemon, 'src/daemon/index.ts was not cruised');
  t.true(daemon!.dependencies.some((d) => d.resolved === 'src/config/index.ts'));
  t.true(result.summary.totalCruised > 50);
  t.deepEqual(violations, [], `import rule violations:\n${violations.join('\n')}`);
});

test('the import rules report exactly the bad imports of fixtures/import-rule', async (t) => {
  const { violations } = await cruiseSrc(`${ROOT}fixtures/import-rule`);
  t.deepEqual(violations.map((v) => v.replace(/ {2}\(.*\)$/, '')), [
    'layer-control: src/control/index.ts -> src/dns/index.ts',
    'layer-rib: src/rib/index.ts -> src/daemon/index.ts',
    'through-index: src/mrt/index.ts -> src/bgp/codec.ts',
    'unranked-folder: src/cli/index.ts -> src/extras/index.ts',
  ]);
});
