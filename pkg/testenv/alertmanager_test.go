package testenv

import (
	"fmt"
	"sort"
	"testing"
	"time"
)

func TestAlertmanagerAcceptsAlerts(t *testing.T) {
	t.Parallel()
	am := StartAlertmanager(t, AlertmanagerConfig{})
	if am.ClusterAddr() != "" {
		t.Fatalf("ClusterAddr = %q with gossip off", am.ClusterAddr())
	}
	am.PostAlerts(t, []map[string]any{{
		"labels":      map[string]string{"alertname": "DiskFull", "instance": "db-1"},
		"annotations": map[string]string{"summary": "disk is full"},
	}})
	WaitFor(t, 5*time.Second, 50*time.Millisecond, func() (bool, string) {
		alerts := am.Alerts(t)
		if len(alerts) != 1 || alerts[0].Labels["alertname"] != "DiskFull" {
			return false, fmt.Sprintf("alerts %+v", alerts)
		}
		return true, ""
	})
}

func TestAlertmanagerCluster(t *testing.T) {
	t.Parallel()
	ams := StartAlertmanagerCluster(t, "", 2)
	want := []string{ams[0].ClusterAddr(), ams[1].ClusterAddr()}
	sort.Strings(want)
	for _, am := range ams {
		got := am.Peers(t)
		sort.Strings(got)
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%s peers %v, want %v", am.URL(), got, want)
		}
	}
}
