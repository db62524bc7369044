// The plugin's webpack configuration: create-plugin's (.config/, kept as generated) with our overrides.
import CopyWebpackPlugin from 'copy-webpack-plugin';
import path from 'path';
import type { Configuration } from 'webpack';
import { merge } from 'webpack-merge';
import grafanaConfig, { type Env } from './.config/webpack/webpack.config';

const config = async (env: Env): Promise<Configuration> =>
  merge(await grafanaConfig(env), {
    // Chunks named after their modules, not numbered: webpack-subresource-integrity leaves out the hash of a chunk
    // whose id is 0, so the browser (Grafana too) logged "Error parsing 'integrity' attribute ('undefined')" when
    // that chunk loaded.
    optimization: { chunkIds: 'named' },
    // The dashboards plugin.json includes (made by pkg/dashboards, committed in dashboards/) go to dist/dashboards/.
    plugins: [
      new CopyWebpackPlugin({
        patterns: [{ from: '*.json', context: path.resolve(process.cwd(), 'dashboards'), to: 'dashboards/' }],
      }),
    ],
  });

export default config;
