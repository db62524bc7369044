// Command gpx_incident is the backend of the Firebreak Grafana app plugin
// (plugin id firebreak-incident-app). Grafana starts it as a subprocess and
// talks to it over gRPC; it is not meant to be run by hand.
package main

import (
	"os"
	"runtime/debug"

	"github.com/grafana/grafana-plugin-sdk-go/backend/app"
	"github.com/grafana/grafana-plugin-sdk-go/backend/log"

	"github.com/firebreak-dev/firebreak/pkg/plugin"
)

// gcPercent is the garbage collector's GOGC unless the environment sets one. The plugin's live heap is small
// (tens of MB) and an incident page allocates several MB (a thousand events read, folded and encoded), so at the
// default of 100 it collected once or twice per page, a sixth of its CPU; 400 lets the heap grow to about five
// times the live data between collections.
const gcPercent = 400

func main() {
	if _, set := os.LookupEnv("GOGC"); !set {
		debug.SetGCPercent(gcPercent)
	}
	// Manage blocks until Grafana stops the process. It creates one App
	// instance per org/settings version through plugin.NewApp and disposes
	// of the old one when the settings change.
	if err := app.Manage(plugin.ID, plugin.NewApp, app.ManageOpts{}); err != nil {
		log.DefaultLogger.Error(err.Error())
		os.Exit(1)
	}
}
