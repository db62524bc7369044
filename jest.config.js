// force timezone to UTC to allow tests to work regardless of local timezone
// generally used by snapshots, but can affect specific tests
process.env.TZ = 'UTC';

const base = require('./.config/jest.config');

// The scaffolded transform only matches .js/.jsx/.ts/.tsx. Current d3-color
// (pulled in by @grafana/ui and @grafana/scenes) ships only ES modules as .mjs,
// so transform .mjs with the same swc settings.
const [swcTransform] = Object.values(base.transform);

module.exports = {
  // Jest configuration provided by Grafana scaffolding
  ...base,
  transform: {
    ...base.transform,
    '^.+\\.mjs$': swcTransform,
  },
  coveragePathIgnorePatterns: ['/node_modules/', '/.config/'],
  // Upper bounds for waiting, not timings: the first render of a lazy page transpiles @grafana/ui, which takes seconds
  // on 2 busy cores (the defaults, 5 s per test and 1 s per findBy, failed there).
  testTimeout: 30_000,
};
