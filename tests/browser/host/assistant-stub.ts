// @grafana/prometheus imports the Grafana Assistant's button, an optional peer dependency that is not installed: the
// stand-in has no assistant, so the button renders nothing.
export const QueryWithAssistantButton = () => null;
