"""Demo organisation and accounts for development (never in production). Password: Demo12345."""

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from store.models import Unit, User, UserRole

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
    await session.commit()
    return True
