// The plugin's webpack configuration: create-plugin's (.config/, kept as generated) with our overrides.
import type { Configuration } from 'webpack';
import { merge } from 'webpack-merge';
import grafanaConfig, { type Env } from './.config/webpack/webpack.config';

const config = async (env: Env): Promise<Configuration> =>
  merge(await grafanaConfig(env), {
    // Chunks named after their modules, not numbered: webpack-subresource-integrity leaves out the hash of a chunk
    // whose id is 0, so the browser (Grafana too) logged "Error parsing 'integrity' attribute ('undefined')" when
    // that chunk loaded.
    optimization: { chunkIds: 'named' },
  });

export default config;
