package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The command writes the files the repository commits, byte for byte.
func TestWriteMakesTheCommittedFiles(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, write(filepath.Join(dir, "out")))
	written, err := filepath.Glob(filepath.Join(dir, "out", "*.json"))
	require.NoError(t, err)
	committed, err := filepath.Glob("../../dashboards/*.json")
	require.NoError(t, err)
	require.Len(t, written, len(committed))
	for _, path := range committed {
		want, err := os.ReadFile(path)
		require.NoError(t, err)
		got, err := os.ReadFile(filepath.Join(dir, "out", filepath.Base(path)))
		require.NoError(t, err)
		assert.Equal(t, string(want), string(got), filepath.Base(path))
	}
}
