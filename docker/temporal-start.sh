#!/bin/sh
# Fills the container's own address (ringpop membership must broadcast a reachable one) and the
# PostgreSQL password into the config, then starts every service in this one process.
set -eu
sed -e "s/__BROADCAST_ADDRESS__/$(hostname -i | cut -d' ' -f1)/" \
    -e "s/__POSTGRES_HOST__/$POSTGRES_HOST/" \
    -e "s/__POSTGRES_USER__/$POSTGRES_USER/" \
    -e "s/__POSTGRES_PASSWORD__/$POSTGRES_PASSWORD/" /etc/temporal/temporal.yaml > /tmp/temporal.yaml
exec temporal-server --config-file /tmp/temporal.yaml --allow-no-auth start
