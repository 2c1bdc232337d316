# The Temporal server of docker-compose.yml, built the way `npm run test:cluster` builds it (same
# version, same Go toolchain, same PostgreSQL schema files), so what the test proves is what runs.
# test/unit/compose.test.ts checks these versions against the test's.
ARG GO_TOOLCHAIN=go1.27.3
FROM golang:1.27.3-bookworm AS build
ARG TEMPORAL_VERSION=1.32.2
ARG GO_TOOLCHAIN
ENV GOTOOLCHAIN=${GO_TOOLCHAIN} GOBIN=/out
RUN go install go.temporal.io/server/cmd/server@v${TEMPORAL_VERSION} go.temporal.io/server/cmd/tools/sql@v${TEMPORAL_VERSION} \
 && cp -r "$(go env GOMODCACHE)/go.temporal.io/server@v${TEMPORAL_VERSION}/schema/postgresql/v12" /out/schema

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates && rm -rf /var/lib/apt/lists/* \
 && useradd -r -u 1000 temporal
COPY --from=build /out/server /usr/local/bin/temporal-server
COPY --from=build /out/sql /usr/local/bin/temporal-sql-tool
COPY --from=build /out/schema /etc/temporal/schema/postgresql/v12
COPY docker/temporal.yaml docker/dynamicconfig.yaml docker/temporal-start.sh docker/temporal-schema.sh /etc/temporal/
USER temporal
CMD ["/etc/temporal/temporal-start.sh"]
