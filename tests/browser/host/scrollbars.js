// @grafana/ui's ESM files (.mjs) default-import this CommonJS package; for an .mjs importer esbuild follows Node and
// hands over module.exports, not its default export (React then gets an object for a component: the Table panel's
// CustomScrollbar fails). server.mjs points the package here, which hands over the component.
import * as scrollbars from '../../../node_modules/react-custom-scrollbars-2/lib/index.js';

const exported = scrollbars.default;
export default exported && exported.default ? exported.default : exported;
