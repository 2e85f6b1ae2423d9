#!/bin/sh
# The namespace SatuPintu runs in, with how long Temporal keeps a closed run (what temporalio/auto-setup's
# DEFAULT_NAMESPACE and DEFAULT_NAMESPACE_RETENTION did). Runs in temporalio/admin-tools as a one-shot service after the
# server is healthy; the workers and gateways start when it has finished. Safe to run again: an existing namespace
# keeps its runs and gets the retention given here.
set -eu

address="${TEMPORAL_ADDRESS:?set TEMPORAL_ADDRESS (host:port of Temporal's frontend)}"
namespace="${TEMPORAL_NAMESPACE:-default}"
retention="${TEMPORAL_RETENTION:-30d}"
attempts="${TEMPORAL_WAIT_ATTEMPTS:-60}"

# The server's frontend answers before its history service has taken its shards: wait for the gRPC health check.
tries=0
until temporal operator cluster health --address "$address" >/dev/null 2>&1; do
  tries=$((tries + 1))
  if [ "$tries" -ge "$attempts" ]; then
    echo "Temporal at $address is not healthy after $attempts checks" >&2
    exit 1
  fi
  sleep 2
done

# Created if missing, then updated with the retention: the update also shows that the frontend knows the namespace
# (one just created is known to it some seconds later, and a worker started before that would be refused).
tries=0
until temporal operator namespace describe --namespace "$namespace" --address "$address" >/dev/null 2>&1 &&
      temporal operator namespace update --namespace "$namespace" --retention "$retention" --address "$address" >/dev/null 2>&1; do
  if ! temporal operator namespace describe --namespace "$namespace" --address "$address" >/dev/null 2>&1; then
    temporal operator namespace create --namespace "$namespace" --retention "$retention" --address "$address" >/dev/null 2>&1 || true
  fi
  tries=$((tries + 1))
  if [ "$tries" -ge "$attempts" ]; then
    echo "namespace $namespace could not be created or updated on $address" >&2
    exit 1
  fi
  sleep 2
done
echo "namespace $namespace ready, closed runs kept $retention"
