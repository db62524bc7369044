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
};
