package grafanahost

import (
	"context"
	"io"
	"log/slog"

	"github.com/hashicorp/go-hclog"
)

// newHCLogger adapts l for go-plugin: an intercept logger that writes nowhere
// itself and hands every entry to a sink that logs it to l. The level is the
// lowest one l accepts, so that go-plugin does not parse plugin log lines l
// would drop anyway. A nil l gives a null logger.
func newHCLogger(l *slog.Logger) hclog.Logger {
	if l == nil {
		return hclog.NewNullLogger()
	}
	level := hclog.Error
	for _, lv := range []hclog.Level{hclog.Warn, hclog.Info, hclog.Debug, hclog.Trace} {
		if l.Enabled(context.Background(), slogLevel(lv)) {
			level = lv
		}
	}
	hl := hclog.NewInterceptLogger(&hclog.LoggerOptions{Name: "plugin", Level: level, Output: io.Discard})
	hl.RegisterSink(slogSink{l})
	return hl
}

type slogSink struct{ l *slog.Logger }

func (s slogSink) Accept(name string, level hclog.Level, msg string, args ...any) {
	lv := slogLevel(level)
	ctx := context.Background()
	if !s.l.Enabled(ctx, lv) {
		return
	}
	s.l.Log(ctx, lv, msg, append([]any{"logger", name}, args...)...)
}

func slogLevel(l hclog.Level) slog.Level {
	switch l {
	case hclog.Trace:
		return slog.LevelDebug - 4
	case hclog.Debug:
		return slog.LevelDebug
	case hclog.Warn:
		return slog.LevelWarn
	case hclog.Error:
		return slog.LevelError
	default:
		return slog.LevelInfo
	}
}
