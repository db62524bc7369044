// Command gpx_incident is the backend of the Firebreak Grafana app plugin
// (plugin id firebreak-incident-app). Grafana starts it as a subprocess and
// talks to it over gRPC; it is not meant to be run by hand.
package main

import (
	"os"

	"github.com/grafana/grafana-plugin-sdk-go/backend/app"
	"github.com/grafana/grafana-plugin-sdk-go/backend/log"

	"github.com/firebreak-dev/firebreak/pkg/plugin"
)

func main() {
	// Manage blocks until Grafana stops the process. It creates one App
	// instance per org/settings version through plugin.NewApp and disposes
	// of the old one when the settings change.
	if err := app.Manage(plugin.ID, plugin.NewApp, app.ManageOpts{}); err != nil {
		log.DefaultLogger.Error(err.Error())
		os.Exit(1)
	}
}
