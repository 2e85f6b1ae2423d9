"""An existing database gets the columns added to the models since it was made (until migrations, issue 15)."""

from pathlib import Path

from sqlalchemy import text

from store.db import create_schema, make_engine


async def test_columns_added_since_are_added_to_an_existing_database(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'old.db'}")
    await create_schema(engine)
    async with engine.begin() as conn:
        await conn.execute(text("INSERT INTO app_user (username, full_name, kind, is_active, password_hash, created_at) "
                                "VALUES ('lama', 'Pegawai Lama', 'staff', 1, 'x', '2026-01-01 00:00:00')"))
        await conn.execute(text("ALTER TABLE app_user DROP COLUMN position"))
    await create_schema(engine)
    async with engine.begin() as conn:
        columns = {row[1] for row in (await conn.execute(text("PRAGMA table_info(app_user)"))).all()}
        kept = (await conn.execute(text("SELECT full_name FROM app_user WHERE username = 'lama'"))).scalar_one()
    await engine.dispose()
    assert "position" in columns
    assert kept == "Pegawai Lama"
