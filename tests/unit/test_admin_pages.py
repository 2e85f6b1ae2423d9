"""The administration pages without a browser (issue 17): who reaches them, the installation administrator's choice of
office, a refused form that keeps what was typed, the import's preview then apply, and the staff's own password reset
from the sign-in page. The browser test (tests/browser/test_admin_pages.py) drives them at 1280 and 375 px."""

import re

import httpx

PAGES = ("/admin", "/admin/pegawai", "/admin/pegawai?q=fauzan&nonaktif=1&hal=1", "/admin/pegawai/baru", "/admin/pegawai/verifikator1",
         "/admin/pegawai/verifikator1/nonaktifkan", "/admin/unit", "/admin/unit/PERIZINAN", "/admin/impor", "/admin/kantor", "/admin/kalender",
         "/admin/riwayat")


async def page_sign_in(client: httpx.AsyncClient, username: str) -> None:
    client.cookies.clear()
    response = await client.post("/masuk", data={"username": username, "password": "Demo12345"})
    assert response.status_code == 303, response.text


async def test_who_reaches_the_pages(client):
    assert (await client.get("/admin/pegawai")).status_code == 303  # to the sign-in page
    await page_sign_in(client, "verifikator1")
    refused = await client.get("/admin/pegawai")
    assert refused.status_code == 403 and "hanya untuk administrator" in refused.text
    assert ">Administrasi<" not in (await client.get("/")).text

    await page_sign_in(client, "admin_dpmptsp")
    assert 'href="/admin"' in (await client.get("/")).text
    for path in PAGES:
        response = await client.get(path)
        assert response.status_code == 200, (path, response.text[:500])
        assert "DPMPTSP" in response.text
    assert (await client.get("/admin/pegawai/pimpinan1")).status_code == 404
    assert (await client.get("/admin/unit/KEPANITERAAN")).status_code == 404
    assert (await client.get("/admin/pegawai?kantor=ms-lhokseumawe")).status_code == 404
    assert (await client.post("/admin/kalender/bukan-tanggal/hapus")).status_code == 422

    # The installation's administrator chooses the office first; every link then keeps it.
    await page_sign_in(client, "admin")
    chooser = await client.get("/admin")
    assert chooser.status_code == 200 and "/admin?kantor=kemenag-lamongan" in chooser.text
    assert (await client.get("/admin/pegawai")).headers["location"] == "/admin"
    court = await client.get("/admin/pegawai?kantor=ms-lhokseumawe")
    assert court.status_code == 200 and "Rahmawati" in court.text and "Fauzan" not in court.text
    assert 'href="/admin/unit?kantor=ms-lhokseumawe"' in court.text and 'name="kantor"' in court.text


async def test_a_refused_form_keeps_what_was_typed_and_links_each_message(client):
    await page_sign_in(client, "admin_ms")
    refused = await client.post("/admin/pegawai/baru", data={
        "username": "Salah Nama", "full_name": "Nurhayati, S.H.", "email": "nurhayati@ms-lhokseumawe.go.id", "unit": "KEPEG",
        "supervisor": "atasan1", "roles": ["pegawai", "atasan"], "password": "Rahasia-2026x"})
    assert refused.status_code == 422
    assert re.search(r'<a href="#username">Nama pengguna</a>: Nama pengguna 3-80 karakter', refused.text)
    assert 'value="Nurhayati, S.H."' in refused.text and 'value="nurhayati@ms-lhokseumawe.go.id"' in refused.text
    assert re.search(r'value="KEPEG" selected', refused.text) and re.search(r'value="atasan1" selected', refused.text)
    assert re.search(r'value="atasan" checked', refused.text)
    assert "Rahasia-2026x" not in refused.text  # never sent back
    made = await client.post("/admin/pegawai/baru", data={
        "username": "nurhayati", "full_name": "Nurhayati, S.H.", "email": "nurhayati@ms-lhokseumawe.go.id", "unit": "KEPEG",
        "supervisor": "atasan1", "roles": ["pegawai", "atasan"], "password": "Rahasia-2026x"})
    assert made.status_code == 303 and made.headers["location"] == "/admin/pegawai/nurhayati?pesan=pegawai-dibuat"
    # Saving unchanged fields records nothing; a change is recorded before → after.
    assert (await client.post("/admin/pegawai/nurhayati", data={
        "full_name": "Nurhayati, S.H.", "email": "nurhayati@ms-lhokseumawe.go.id", "unit": "KEPEG", "supervisor": "atasan1",
        "roles": ["pegawai", "atasan"], "position": "Analis Kepegawaian"})).status_code == 303
    page = await client.get("/admin/pegawai/nurhayati")
    assert "Data pegawai diubah" in page.text and "Analis Kepegawaian" in page.text and page.text.count("Data pegawai diubah") == 1


async def test_the_import_is_previewed_then_applied_from_the_page(client):
    await page_sign_in(client, "admin_kemenag")
    data = (b"NIP;Nama;Jabatan;Unit;Email\n199001012018011001;Ahmad Zaini;Penyuluh Agama;BIMAS;ahmad.zaini@kemenag.go.id\n"
            b"12;Salah;Staf;BIMAS;salah@kemenag.go.id\n")
    preview = await client.post("/admin/impor", files={"file": ("pegawai.csv", data, "text/csv")})
    assert preview.status_code == 200 and "Pratinjau impor" in preview.text and "harus 18 digit" in preview.text
    assert (await client.get("/admin/pegawai/ahmad.zaini")).status_code == 404
    text = re.search(r'<textarea name="csv_text"[^>]*>(.*?)</textarea>', preview.text, re.S).group(1)
    applied = await client.post("/admin/impor", files={"csv_text": (None, text.replace("&#39;", "'")), "file_name": (None, "pegawai.csv"),
                                                       "aksi": (None, "terapkan")})
    assert applied.status_code == 200 and "Hasil impor" in applied.text
    assert (await client.get("/admin/pegawai/ahmad.zaini")).status_code == 200
    nothing = await client.post("/admin/impor", files={"lain": ("x.csv", b"", "text/csv")})
    assert nothing.status_code == 422 and "Pilih berkas CSV" in nothing.text


async def test_staff_reset_their_own_password_from_the_sign_in_page(client):
    sign_in = await client.get("/masuk")
    assert "hubungi admin" not in sign_in.text.lower() and 'href="/lupa-password/pegawai"' in sign_in.text
    assert 'href="/lupa-password/pegawai"' in (await client.get("/lupa-password")).text
    form = await client.get("/lupa-password/pegawai")
    assert form.status_code == 200 and "Nama pengguna atau email" in form.text
    wrong = await client.post("/lupa-password/pegawai", data={"identifier": "kepala1", "challenge_token": "x", "challenge_answer": "3"})
    assert wrong.status_code == 422 and 'value="kepala1"' in wrong.text
    assert (await client.get("/atur-sandi", params={"token": "12.bukan-tautan-yang-sah-sama-sekali"})).status_code == 410
    assert (await client.get("/atur-sandi")).status_code == 410


async def test_the_deactivation_page_shows_where_each_open_task_goes(client, db):
    from datetime import UTC, datetime

    from sqlalchemy import select

    from store.models import Office, Task, User

    async with db.sessionmaker() as session, session.begin():
        office = await session.scalar(select(Office).where(Office.code == "dpmptsp"))
        people = {u.username: u for u in await session.scalars(select(User).where(User.username.in_(["verifikator1", "kepala1"])))}
        now = datetime.now(UTC)
        for task_id, role, owner in (("permit-ABC123.verifikasi-1", "verifikator", "verifikator1"), ("permit-ABC123.tte", "penandatangan", "kepala1")):
            session.add(Task(id=task_id, workflow_id="permit-ABC123", process="permit", subject_id="ABC123", title=f"Tugas {role}", role=role,
                             owner_id=people[owner].id, status="open", created_at=now, office_id=office.id))
    await page_sign_in(client, "admin_dpmptsp")
    verifier = await client.get("/admin/pegawai/verifikator1/nonaktifkan")
    assert verifier.status_code == 200 and "Tugas yang akan diserahkan" in verifier.text
    # verifikator1 is the office's only verifier: the task goes to their supervisor.
    assert re.search(r"Dr\. H\. Munir Hasan, S\.H\., M\.H\.</strong> \(atasan langsung", verifier.text)
    head = await client.get("/admin/pegawai/kepala1/nonaktifkan")
    # Nobody else signs and the head has no supervisor: it waits for the role, and the page says so.
    assert "belum ada pemegang aktif" in head.text and "Pejabat Penandatangan (TTE)" in head.text
    assert "Nonaktifkan dan serahkan 1 tugas" in head.text
