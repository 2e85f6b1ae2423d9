"""Issue 14 item 9: a date outside what the records can hold (year 1, year 9999) in any date filter is a readable
422 naming the field, in the API and on the pages, never a 500 (year 1 turned into a UTC instant, or 9999-12-31
plus the day that closes a period, overflowed)."""

import pytest

from tests.factories import login

EXTREMES = ("0001-01-01", "9999-12-31")
API = [  # (path, parameter, reader)
    ("/api/v1/runs", "started_from", "pemilik1"),
    ("/api/v1/runs", "started_to", "pemilik1"),
    ("/api/v1/dashboards", "from", "auditor1"),
    ("/api/v1/dashboards", "to", "auditor1"),
    ("/api/v1/dashboards/sla.csv", "from", "pemilik1"),
    ("/api/v1/dashboards/sla.csv", "to", "pemilik1"),
    ("/api/v1/ikm", "from", "verifikator1"),
    ("/api/v1/ikm", "to", "verifikator1"),
]
PAGES = [  # (path, parameter, reader, what the page says)
    ("/proses", "started_from", "pemilik1", "Tanggal mulai harus di antara"),
    ("/proses", "started_to", "pemilik1", "Tanggal akhir harus di antara"),
    ("/dasbor", "dari", "auditor1", "Tanggal awal harus di antara"),
    ("/dasbor", "sampai", "auditor1", "Tanggal akhir harus di antara"),
    ("/ikm", "dari", "verifikator1", "Tanggal awal harus di antara"),
    ("/ikm", "sampai", "verifikator1", "Tanggal akhir harus di antara"),
]


@pytest.mark.parametrize("day", EXTREMES)
async def test_api_date_filters_refuse_dates_out_of_range_naming_the_field(client, day):
    headers = {u: await login(client, u) for u in {reader for _, _, reader in API}}
    for path, parameter, reader in API:
        response = await client.get(path, params={parameter: day}, headers=headers[reader])
        assert response.status_code == 422, (path, parameter, response.status_code, response.text[:200])
        body = response.json()
        assert body["code"] == "invalid" and "01-01-2000" in body["detail"] and "31-12-2100" in body["detail"], body
        assert body["errors"] == [{"field": parameter, "message": body["detail"]}], (path, body)


async def test_dates_inside_the_range_still_filter(client):
    headers = await login(client, "pemilik1")
    for path, parameters in (("/api/v1/runs", {"started_from": "2000-01-01", "started_to": "2100-12-31"}),
                             ("/api/v1/dashboards", {"from": "2000-01-01", "to": "2100-12-31"})):
        assert (await client.get(path, params=parameters, headers=headers)).status_code == 200, path
    ikm = await client.get("/api/v1/ikm", params={"from": "2000-01-01", "to": "2100-12-31"}, headers=await login(client, "verifikator1"))
    assert ikm.status_code == 200 and ikm.json()["from"] == "2000-01-01"


@pytest.mark.parametrize("day", EXTREMES)
async def test_pages_show_the_message_for_dates_out_of_range(client, day):
    headers = {u: await login(client, u) for u in {reader for _, _, reader, _ in PAGES}}
    for path, parameter, reader, message in PAGES:
        page = await client.get(path, params={parameter: day}, headers=headers[reader])
        assert page.status_code == 422, (path, parameter, page.status_code)
        assert message in page.text and "<html" in page.text, (path, parameter)


async def test_a_complaint_about_an_incident_in_year_one_is_refused_by_the_field(client):
    complaint = {"category": "layanan", "title": "Antrean loket terlalu lama", "nik": "3374010101900001", "phone": "081234567891",
                 "content": "Saya menunggu lebih dari tiga jam di loket tanpa kejelasan.", "incident_date": "0001-01-01", "office": "dpmptsp"}
    refused = await client.post("/api/v1/complaints", json=complaint)
    assert refused.status_code == 422, refused.text
    assert [e["field"] for e in refused.json()["errors"]] == ["incident_date"] and "01-01-2000" in refused.json()["detail"]
