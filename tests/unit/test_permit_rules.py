"""Rules of the permit case that need no server: the SLA clock in working days (of the permit office's calendar), and the
location check."""

import pytest

from gateway.errors import DomainError
from gateway.services.permits import check_location, clock_working_days
from store.models import PermitApplication
from tests.factories import PERMIT_OFFICE, speak_as_office


async def test_sla_clock_counts_elapsed_working_days_per_side(db):
    application = PermitApplication(office_id=await speak_as_office(db.sessionmaker, PERMIT_OFFICE), clock=[
        # Office from Monday 23 Nov 10:00 WIB to Wednesday 25 Nov 09:00: Tuesday and Wednesday ended (2).
        {"side": "office", "start": "2026-11-23T03:00:00+00:00", "end": "2026-11-25T02:00:00+00:00"},
        # With the applicant the same day: nothing elapsed.
        {"side": "applicant", "start": "2026-11-25T02:00:00+00:00", "end": "2026-11-25T08:00:00+00:00"},
        # Office again from Wednesday afternoon over the weekend to Monday 30 Nov: Thu, Fri, Mon (3).
        {"side": "office", "start": "2026-11-25T08:00:00+00:00", "end": "2026-11-30T03:00:00+00:00"},
    ])
    assert clock_working_days(application) == {"office": 5, "applicant": 0}


async def test_holidays_do_not_count_against_the_office(db):
    # 23 Dec 2026 to 28 Dec: 24 (cuti bersama), 25 (Natal), 26 and 27 (the weekend) do not count; 28 does.
    application = PermitApplication(office_id=await speak_as_office(db.sessionmaker, PERMIT_OFFICE),
                                    clock=[{"side": "office", "start": "2026-12-23T03:00:00+00:00", "end": "2026-12-28T03:00:00+00:00"}])
    assert clock_working_days(application) == {"office": 1, "applicant": 0}


@pytest.mark.parametrize(("lat", "lon"), [(1.30, 103.83), (3.14, 101.69), (-8.55, 125.57), (-2.6, 141.2), (4.9, 114.9), (48.85, 2.35)])
def test_coordinates_outside_indonesia_are_refused(lat, lon):
    with pytest.raises(DomainError) as info:
        check_location({"street": "Jl. X", "latitude": lat, "longitude": lon})
    assert "luar wilayah Indonesia" in info.value.detail


@pytest.mark.parametrize(("lat", "lon"), [(-6.98, 110.41), (5.88, 95.32), (-2.53, 140.70), (-10.2, 123.6), (-8.65, 115.22)])
def test_coordinates_in_indonesia_are_accepted(lat, lon):
    assert check_location({"street": "Jl. X", "rt": "1", "latitude": lat, "longitude": lon})["rt"] == "001"
