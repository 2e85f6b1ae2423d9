#!/bin/sh
# Makes the Docker secrets docker-compose.yml reads, in ./secrets beside it (or the folder given): random values for
# the keys and passwords, empty files for the optional ones (an empty file is an unset setting). A file that already
# exists is left as it is, so this is safe to run again after an upgrade adds a secret.
#
#   sh deploy/make-secrets.sh [folder]
#
# The folder is the administrator's only (0700); the files are readable by the containers' own users (0444), since
# Docker Compose mounts them as they are. Back the folder up with the database: without payload-key no run's data in
# Temporal can be read again, and without secret-key everyone is signed out.
set -eu
umask 077
dir="${1:-$(dirname "$0")/../secrets}"
mkdir -p "$dir"
chmod 0700 "$dir"

random() {  # URL-safe random text from $1 random bytes
  head -c "$1" /dev/urandom | base64 | tr -d '\n=' | tr '+/' '-_'
}

put() {  # put NAME VALUE: write the file unless it exists
  if [ ! -e "$dir/$1" ]; then
    printf '%s\n' "$2" > "$dir/$1"
    echo "made $dir/$1"
  fi
  chmod 0444 "$dir/$1"
}

put postgres-superuser-password "$(random 24)"
put temporal-db-password "$(random 24)"
put satupintu-db-password "$(random 24)"
put secret-key "$(random 48)"
put payload-key "$(head -c 32 /dev/urandom | base64 | tr -d '\n')"
put minio-root-password "$(random 24)"
put s3-secret-access-key "$(random 30)"
put metrics-token "$(random 32)"
# Optional: empty until the office has them (WhatsApp Cloud API, the civil registry's shared secret, the SMTP server's
# password, earlier payload keys after a rotation, comma separated).
for name in payload-old-keys smtp-password whatsapp-access-token whatsapp-app-secret whatsapp-verify-token civil-registry-secret; do
  put "$name" ""
done
