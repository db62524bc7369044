# syntax=docker/dockerfile:1
# The demo AI service (./demo, "supportbot"), as a static binary on distroless, with its containment endpoints.
#   docker build -f deploy/docker/demo.Dockerfile -t firebreak-demo .    (from the repository root)
# Settings come from DEMO_* environment variables (see demo/README.md); the containment endpoints answer 503 until
# DEMO_CONTAINMENT_SECRET (or DEMO_CONTAINMENT_SECRET_FILE) is set.
# /firebreak-probe URL is a health check for the image, which has no shell (docker-compose.yml uses it).

FROM golang:1.26 AS builder
WORKDIR /src
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download
COPY demo ./demo
COPY cmd/firebreak-probe ./cmd/firebreak-probe
RUN --mount=type=cache,target=/go/pkg/mod --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 go build -trimpath -ldflags='-s -w' -o /firebreak-demo ./demo \
    && CGO_ENABLED=0 go build -trimpath -ldflags='-s -w' -o /firebreak-probe ./cmd/firebreak-probe

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=builder /firebreak-demo /firebreak-probe /
# Listen beyond loopback: the demo is reached from the other containers (Prometheus, Grafana's plugin).
ENV DEMO_LISTEN=:9100
EXPOSE 9100
USER 65532:65532
ENTRYPOINT ["/firebreak-demo"]
