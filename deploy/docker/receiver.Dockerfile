# syntax=docker/dockerfile:1
# The Firebreak webhook receiver (./receiver), as a static binary on distroless.
#   docker build -f deploy/docker/receiver.Dockerfile -t firebreak-receiver .    (from the repository root)
# Settings come from FIREBREAK_* environment variables (firebreak-receiver --help lists them).
# /firebreak-probe URL is a health check for the image, which has no shell (docker-compose.yml uses it).

FROM golang:1.26 AS builder
WORKDIR /src
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download
COPY pkg ./pkg
COPY receiver ./receiver
COPY cmd/firebreak-probe ./cmd/firebreak-probe
RUN --mount=type=cache,target=/go/pkg/mod --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 go build -trimpath -ldflags='-s -w' -o /firebreak-receiver ./receiver \
    && CGO_ENABLED=0 go build -trimpath -ldflags='-s -w' -o /firebreak-probe ./cmd/firebreak-probe
# The spool directory, owned by the final image's nonroot user, so that a fresh named volume mounted there
# inherits that owner.
RUN mkdir -p /out/var/lib/firebreak/spool

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=builder /firebreak-receiver /firebreak-probe /
COPY --from=builder --chown=65532:65532 /out/var/lib/firebreak /var/lib/firebreak
ENV FIREBREAK_LISTEN=:9095 \
    FIREBREAK_SPOOL_DIR=/var/lib/firebreak/spool
VOLUME ["/var/lib/firebreak/spool"]
EXPOSE 9095
USER 65532:65532
ENTRYPOINT ["/firebreak-receiver"]
