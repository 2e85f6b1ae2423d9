"""Issue 15 item 1 (rules under concurrency): the database holds two rules that were only checked before an insert.

- One account per email address, whatever its case: a unique index on lower(email) of app_user.
- One SIRAMASAKAN request under way per case and family card: a unique index on (case_number, kk_number) of the
  requests not yet finished.

A database whose rows already break a rule (two requests sent at once before this release) is not changed behind
anyone's back: the upgrade stops before it changes anything, naming the rows, and says how to settle them. Run the
upgrade again once they are settled.

Revision ID: 0004
Revises: 0003
Created: 2026-12-07 18:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ACTIVE = sa.text("finished_at IS NULL")


def _refuse_if_any(sql: str, what: str, settle: str) -> None:
    rows = op.get_bind().execute(sa.text(sql)).all()
    if rows:
        listed = "; ".join(", ".join(str(value) for value in row) for row in rows[:20])
        more = f" (dan {len(rows) - 20} lainnya)" if len(rows) > 20 else ""
        raise RuntimeError(f"Migrasi ditolak, belum ada yang diubah: {what}: {listed}{more}. {settle} Lalu jalankan migrasi lagi.")


def upgrade() -> None:
    _refuse_if_any(
        "SELECT lower(email), count(*) FROM app_user WHERE email IS NOT NULL GROUP BY lower(email) HAVING count(*) > 1 "
        "ORDER BY lower(email)",
        "beberapa akun memakai alamat email yang sama (alamat, jumlah akun)",
        "Beri tiap akun itu alamatnya sendiri, atau kosongkan alamat pada akun yang bukan pemiliknya "
        "(UPDATE app_user SET email = NULL WHERE id = ...): masuk dengan email dan PIN lupa password memerlukan satu akun "
        "per alamat.")
    _refuse_if_any(
        "SELECT case_number, kk_number, count(*) FROM siramasakan_request WHERE finished_at IS NULL "
        "GROUP BY case_number, kk_number HAVING count(*) > 1 ORDER BY case_number, kk_number",
        "satu perkara dan KK punya beberapa permohonan SIRAMASAKAN yang masih berjalan (perkara, KK, jumlah)",
        "Dengan rilis lama masih berjalan, pemilik proses membatalkan semua kecuali satu (Batalkan di halaman proses).")
    op.create_index('uq_app_user_email_lower', 'app_user', [sa.text('lower(email)')], unique=True)
    op.create_index('uq_siramasakan_active_case', 'siramasakan_request', ['case_number', 'kk_number'], unique=True,
                    postgresql_where=ACTIVE, sqlite_where=ACTIVE)


def downgrade() -> None:
    op.drop_index('uq_siramasakan_active_case', table_name='siramasakan_request', postgresql_where=ACTIVE, sqlite_where=ACTIVE)
    op.drop_index('uq_app_user_email_lower', table_name='app_user')
