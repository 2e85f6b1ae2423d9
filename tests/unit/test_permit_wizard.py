"""The wizard's checks live in the permit service (issue 16 item 4): a step's problems come back all at once, by
field, from the same rules the API applies, which refuses with the first of them."""

import pytest

from gateway.services import permit_wizard as wizard
from gateway.services.errors import Invalid
from gateway.services.permits import check_company, check_location


def _draft(**parts: dict) -> dict:
    return {"agency": "", "permit_type": "", "request_kind": "", "applicant": {}, "company": {}, "location": {}, "details": {},
            "documents": {}, **parts}


async def test_every_problem_of_the_company_step_is_named_at_once() -> None:
    draft = _draft(company={"mode": "perusahaan", "name": " ", "nib": "123", "npwp": "12"})
    errors = await wizard.step_errors(None, None, draft, 3)  # steps 1-4 read neither the session nor the user
    assert set(errors) == {"company.name", "company.nib", "company.npwp"}
    assert errors["company.nib"] == "NIB perusahaan harus 13 digit."
    with pytest.raises(Invalid) as refused:  # the API: the first problem, by its field
        check_company(wizard.company_payload(draft))
    assert refused.value.errors == [{"field": "company.name", "message": errors["company.name"]}]


async def test_every_problem_of_the_location_step_is_named_at_once() -> None:
    draft = _draft(location={"street": "", "rt": "12a", "rw": "1", "latitude": "abc", "longitude": "110,4"})
    errors = await wizard.step_errors(None, None, draft, 4)  # steps 1-4 read neither the session nor the user
    assert {"province_code", "regency_code", "district_code", "village_code", "location.street", "location.rt",
            "location.latitude"} == set(errors)
    assert errors["location.rt"] == "RT harus angka 1–3 digit."
    # A decimal comma is a point; a point outside Indonesia is named by its field too.
    outside = _draft(location={"street": "Jl. Pemuda", "latitude": "51,5", "longitude": "-0,12"})
    assert "luar wilayah Indonesia" in (await wizard.step_errors(None, None, outside, 4))["location.latitude"]
    with pytest.raises(Invalid) as refused:
        check_location(wizard.location_payload(draft))
    assert refused.value.errors[0]["field"] == "location.street"


def test_a_location_sent_with_its_village_code_alone_is_named_and_an_unknown_code_refused() -> None:
    """An API client may send only the village's code: the application records its name (the wizard's own region data),
    whatever name came with it; a code that names no village is refused by its field."""
    where = {"street": "Jl. Pemuda No. 148", "latitude": -6.9797, "longitude": 110.4137}
    cleaned = check_location({**where, "village_code": "3374011007", "village_name": "Desa Karangan"})
    assert (cleaned["village_code"], cleaned["village_name"]) == ("33.74.01.1007", "Sekayu, Semarang Tengah, Kota Semarang, Jawa Tengah")
    assert check_location({**where, "village_name": "Sekayu"})["village_name"] == "Sekayu"  # no code: the name as given
    for code in ("99.99.99.9999", "33.74.01", "x" * 40):
        with pytest.raises(Invalid) as refused:
            check_location({**where, "village_code": code})
        assert refused.value.errors[0]["field"] == "location.village_code"
        assert "tidak dikenal" in refused.value.errors[0]["message"]
