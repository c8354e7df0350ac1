// Import rules for src/ (checked by test/layers.test.ts; by hand: npm run check:imports).
//
// Every folder under src/ is a layer. A folder imports another folder only through that folder's
// index.ts (its face), and only a folder ranked below it. Inside one folder imports are free.
// Folders of one rank (control, dns, http) may not import each other.
// A folder not listed here is an error until it is given a rank.

/** Lowest first. */
const LAYERS = [
  ['util'],
  ['bgp'],
  ['mrt'],
  ['rib'],
  ['session'],
  ['routeserver'],
  ['proximity'],
  ['config'],
  ['control', 'dns', 'http'],
  ['replay'],
  ['daemon'],
  ['demo'],
  ['cli'],
];

const RANKED = LAYERS.flat();
const anyOf = (names) => `(${names.join('|')})`;

/** One rule per folder: it may not import a folder of its own rank or above. */
const layerRules = LAYERS.flatMap((rank, i) => {
  const below = LAYERS.slice(0, i).flat();
  return rank.flatMap((folder) => {
    const forbidden = LAYERS.slice(i).flat().filter((f) => f !== folder);
    if (forbidden.length === 0) return [];
    return [{
      name: `layer-${folder}`,
      comment: `src/${folder} may import only ${below.length > 0 ? below.join(', ') : 'no other folder'}`,
      severity: 'error',
      from: { path: `^src/${folder}/` },
      to: { path: `^src/${anyOf(forbidden)}/` },
    }];
  });
});

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    ...layerRules,
    {
      name: 'through-index',
      comment: 'another folder is reached only through its index.ts',
      severity: 'error',
      from: { path: '^src/([^/]+)/' },
      to: { path: '^src/[^/]+/', pathNot: ['^src/$1/', '^src/[^/]+/index\\.ts$'] },
    },
    {
      name: 'unranked-folder',
      comment: `a folder under src/ must be one of ${RANKED.join(', ')} (add new ones to LAYERS)`,
      severity: 'error',
      from: { path: '^src/' },
      to: { path: `^src/(?!${anyOf(RANKED)}/)` },
    },
    {
      name: 'unranked-folder',
      comment: `a folder under src/ must be one of ${RANKED.join(', ')} (add new ones to LAYERS)`,
      severity: 'error',
      from: { path: `^src/(?!${anyOf(RANKED)}/)` },
      to: { path: '^src/' },
    },
    {
      name: 'not-to-unresolvable',
      comment: 'an import that does not resolve would slip past the rules above',
      severity: 'error',
      from: { path: '^src/' },
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    // type-only imports count too: they vanish from the emitted JavaScript but still couple the folders
    tsPreCompilationDeps: true,
  },
};
