#!/bin/sh
# The single-host object store's bucket and SatuPintu's own access key, limited to that bucket (the MinIO root
# account stays with the administrator). Runs in minio/mc as a one-shot service; safe to run again.
set -eu

: "${MINIO_ROOT_USER:?}" "${MINIO_ROOT_PASSWORD_FILE:?}" "${SATUPINTU_STORAGE_URL:?}" "${S3_ACCESS_KEY_ID:?}" "${S3_SECRET_ACCESS_KEY_FILE:?}"
# The bucket SatuPintu's storage URL names (s3://<bucket>/<prefix>), so the two cannot differ.
bucket="${SATUPINTU_STORAGE_URL#s3://}"
S3_BUCKET="${bucket%%/*}"
root_password="$(cat "$MINIO_ROOT_PASSWORD_FILE")"
secret_key="$(cat "$S3_SECRET_ACCESS_KEY_FILE")"

tries=0
until mc alias set store "${MINIO_URL:-http://minio:9000}" "$MINIO_ROOT_USER" "$root_password" >/dev/null 2>&1; do
  tries=$((tries + 1))
  [ "$tries" -lt 30 ] || { echo "MinIO does not answer at ${MINIO_URL:-http://minio:9000}" >&2; exit 1; }
  sleep 2
done

mc mb --ignore-existing "store/$S3_BUCKET"
policy=/tmp/satupintu-documents.json
cat > "$policy" <<POLICY
{
  "Version": "2012-10-17",
  "Statement": [
    {"Effect": "Allow", "Action": ["s3:GetBucketLocation", "s3:ListBucket"], "Resource": ["arn:aws:s3:::$S3_BUCKET"]},
    {"Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"], "Resource": ["arn:aws:s3:::$S3_BUCKET/*"]}
  ]
}
POLICY
mc admin policy create store satupintu-documents "$policy"
mc admin user add store "$S3_ACCESS_KEY_ID" "$secret_key"
if ! mc admin user info store "$S3_ACCESS_KEY_ID" | grep -q satupintu-documents; then
  mc admin policy attach store satupintu-documents --user "$S3_ACCESS_KEY_ID"
fi
echo "bucket $S3_BUCKET ready for $S3_ACCESS_KEY_ID"
