#!/bin/sh
# temporalio/server takes its database password from POSTGRES_PWD only: read it from the Docker secret here, so it is
# not in the container's configuration (`docker inspect`), then start the image's own entrypoint.
set -eu
if [ -n "${POSTGRES_PWD_FILE:-}" ]; then
  POSTGRES_PWD="$(cat "$POSTGRES_PWD_FILE")" || { echo "cannot read $POSTGRES_PWD_FILE" >&2; exit 1; }
  export POSTGRES_PWD
  unset POSTGRES_PWD_FILE
fi
exec /etc/temporal/entrypoint.sh "$@"
