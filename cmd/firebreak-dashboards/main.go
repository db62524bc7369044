// Command firebreak-dashboards writes the dashboards the app ships (package dashboards) as JSON:
//
//	go run ./cmd/firebreak-dashboards            # into dashboards/
//	go run ./cmd/firebreak-dashboards -out DIR
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/firebreak-dev/firebreak/pkg/dashboards"
)

func main() {
	out := flag.String("out", "dashboards", "directory to write the dashboards' JSON files into")
	flag.Parse()
	if err := write(*out); err != nil {
		fmt.Fprintln(os.Stderr, "firebreak-dashboards:", err)
		os.Exit(1)
	}
}

func write(dir string) error {
	files, err := dashboards.All()
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for _, f := range files {
		b, err := dashboards.Render(f.Dashboard)
		if err != nil {
			return err
		}
		path := filepath.Join(dir, f.Name)
		if err := os.WriteFile(path, b, 0o644); err != nil {
			return fmt.Errorf("write %s: %w", path, err)
		}
		fmt.Println("wrote", path)
	}
	return nil
}
