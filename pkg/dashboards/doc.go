// Package dashboards defines Firebreak's Grafana dashboards as code (grafana-foundation-sdk) and renders them to the
// JSON files the app ships (dashboards/*.json, listed in src/plugin.json). `go run ./cmd/firebreak-dashboards`
// writes them; a test fails when the committed files differ from what this package renders.
//
// The ClickHouse panels query only the documented views (README, "ClickHouse schema") through the official
// ClickHouse data source, and their SQL runs on ClickHouse 18.16 and on current releases: time buckets are
// toStartOfDay or intDiv on Unix seconds (no toStartOfInterval, so no $__timeInterval), multi-value variables are
// used as IN (...) lists (not arrays), JSON is never parsed in a panel.
package dashboards
