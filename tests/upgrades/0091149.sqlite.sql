-- SatuPintu database as release 0091149 leaves it (scripts/release_database.py)
BEGIN TRANSACTION;
CREATE TABLE app_user (
	id INTEGER NOT NULL, 
	username VARCHAR(80) NOT NULL, 
	full_name VARCHAR(200) NOT NULL, 
	nip VARCHAR(30), 
	position VARCHAR(200), 
	email VARCHAR(200), 
	phone VARCHAR(30), 
	password_hash VARCHAR(300) NOT NULL, 
	unit_id INTEGER, 
	supervisor_id INTEGER, 
	is_active BOOLEAN NOT NULL, 
	kind VARCHAR(20) NOT NULL, 
	created_at DATETIME NOT NULL, 
	PRIMARY KEY (id), 
	UNIQUE (username), 
	FOREIGN KEY(unit_id) REFERENCES unit (id), 
	FOREIGN KEY(supervisor_id) REFERENCES app_user (id)
);
INSERT INTO "app_user" VALUES(1,'kepala1','Dr. H. Munir Hasan, S.H.I., M.H.','197203151998031002','Ketua Mahkamah Syar''iyah Lhokseumawe','kepala1@satupintu.local',NULL,'$argon2id$v=19$m=65536,t=3,p=4$pukHRGpZaAbGsISz+Bj3lQ$4EUba6nu+8ERp16RpMhtG8fQmu2kB8GPhW5MsuLC+lA',1,NULL,1,'staff','2026-12-07 17:51:56.573019');
INSERT INTO "app_user" VALUES(2,'atasan1','Rahmawati, S.H., M.H.','198004122005022001','Kepala Subbagian Kepegawaian dan Ortala','atasan1@satupintu.local',NULL,'$argon2id$v=19$m=65536,t=3,p=4$pukHRGpZaAbGsISz+Bj3lQ$4EUba6nu+8ERp16RpMhtG8fQmu2kB8GPhW5MsuLC+lA',3,1,1,'staff','2026-12-07 17:51:56.576680');
INSERT INTO "app_user" VALUES(3,'atasan2','Teuku Iskandar, S.E.','198107082006041003','Kepala Subbagian Umum dan Keuangan','atasan2@satupintu.local',NULL,'$argon2id$v=19$m=65536,t=3,p=4$pukHRGpZaAbGsISz+Bj3lQ$4EUba6nu+8ERp16RpMhtG8fQmu2kB8GPhW5MsuLC+lA',4,1,1,'staff','2026-12-07 17:51:56.578939');
INSERT INTO "app_user" VALUES(4,'pegawai1','Muhammad Rizki, S.Kom.','199201102019031005','Pranata Komputer Ahli Pertama','pegawai1@satupintu.local',NULL,'$argon2id$v=19$m=65536,t=3,p=4$pukHRGpZaAbGsISz+Bj3lQ$4EUba6nu+8ERp16RpMhtG8fQmu2kB8GPhW5MsuLC+lA',3,2,1,'staff','2026-12-07 17:51:56.580887');
INSERT INTO "app_user" VALUES(5,'pegawai2','Nurul Aini, A.Md.','199508212020122004','Pengelola Kepegawaian','pegawai2@satupintu.local',NULL,'$argon2id$v=19$m=65536,t=3,p=4$pukHRGpZaAbGsISz+Bj3lQ$4EUba6nu+8ERp16RpMhtG8fQmu2kB8GPhW5MsuLC+lA',3,2,1,'staff','2026-12-07 17:51:56.582553');
INSERT INTO "app_user" VALUES(6,'penomoran1','Cut Meutia Sari, S.Sos.','199003052015032002','Pengelola Persuratan (Petugas Penomoran Surat)','penomoran1@satupintu.local',NULL,'$argon2id$v=19$m=65536,t=3,p=4$pukHRGpZaAbGsISz+Bj3lQ$4EUba6nu+8ERp16RpMhtG8fQmu2kB8GPhW5MsuLC+lA',4,3,1,'staff','2026-12-07 17:51:56.583868');
INSERT INTO "app_user" VALUES(7,'verifikator1','Fauzan Ramadhan, S.T.','198812142014031001','Verifikator Perizinan','verifikator1@satupintu.local',NULL,'$argon2id$v=19$m=65536,t=3,p=4$pukHRGpZaAbGsISz+Bj3lQ$4EUba6nu+8ERp16RpMhtG8fQmu2kB8GPhW5MsuLC+lA',4,3,1,'staff','2026-12-07 17:51:56.585345');
INSERT INTO "app_user" VALUES(8,'admin','Administrator SatuPintu',NULL,'Administrator Sistem','admin@satupintu.local',NULL,'$argon2id$v=19$m=65536,t=3,p=4$pukHRGpZaAbGsISz+Bj3lQ$4EUba6nu+8ERp16RpMhtG8fQmu2kB8GPhW5MsuLC+lA',2,NULL,1,'staff','2026-12-07 17:51:56.586649');
INSERT INTO "app_user" VALUES(9,'tu1','Hj. Zulfikar Amri, S.Ag., M.Si.','197506102001121002','Kepala Bagian Tata Usaha','tu1@satupintu.local',NULL,'$argon2id$v=19$m=65536,t=3,p=4$pukHRGpZaAbGsISz+Bj3lQ$4EUba6nu+8ERp16RpMhtG8fQmu2kB8GPhW5MsuLC+lA',5,1,1,'staff','2026-12-07 17:51:56.587887');
INSERT INTO "app_user" VALUES(10,'supervisor1','Siti Hajar, S.H.','198306152009012004','Supervisor PTSP','supervisor1@satupintu.local',NULL,'$argon2id$v=19$m=65536,t=3,p=4$pukHRGpZaAbGsISz+Bj3lQ$4EUba6nu+8ERp16RpMhtG8fQmu2kB8GPhW5MsuLC+lA',6,9,1,'staff','2026-12-07 17:51:56.589332');
INSERT INTO "app_user" VALUES(11,'info1','Dewi Kartika, A.Md.','199704032022032001','Petugas Informasi PTSP','info1@satupintu.local',NULL,'$argon2id$v=19$m=65536,t=3,p=4$pukHRGpZaAbGsISz+Bj3lQ$4EUba6nu+8ERp16RpMhtG8fQmu2kB8GPhW5MsuLC+lA',6,10,1,'staff','2026-12-07 17:51:56.590669');
INSERT INTO "app_user" VALUES(12,'fo1','Rahmat Hidayat, S.Kom.','199410172019031003','Petugas Front Office PTSP','fo1@satupintu.local',NULL,'$argon2id$v=19$m=65536,t=3,p=4$pukHRGpZaAbGsISz+Bj3lQ$4EUba6nu+8ERp16RpMhtG8fQmu2kB8GPhW5MsuLC+lA',6,10,1,'staff','2026-12-07 17:51:56.591917');
INSERT INTO "app_user" VALUES(13,'bo1','Aulia Rahman, S.E.','199112202018011002','Petugas Back Office PTSP','bo1@satupintu.local',NULL,'$argon2id$v=19$m=65536,t=3,p=4$pukHRGpZaAbGsISz+Bj3lQ$4EUba6nu+8ERp16RpMhtG8fQmu2kB8GPhW5MsuLC+lA',6,10,1,'staff','2026-12-07 17:51:56.593302');
INSERT INTO "app_user" VALUES(14,'unitkerja1','Drs. Hasballah, M.Pd.','197108151997031003','Kepala Seksi Bimbingan Masyarakat Islam','unitkerja1@satupintu.local',NULL,'$argon2id$v=19$m=65536,t=3,p=4$pukHRGpZaAbGsISz+Bj3lQ$4EUba6nu+8ERp16RpMhtG8fQmu2kB8GPhW5MsuLC+lA',8,1,1,'staff','2026-12-07 17:51:56.594489');
INSERT INTO "app_user" VALUES(15,'arsiparis1','Nadia Safitri, A.Md.','199609092021122002','Arsiparis Terampil','arsiparis1@satupintu.local',NULL,'$argon2id$v=19$m=65536,t=3,p=4$pukHRGpZaAbGsISz+Bj3lQ$4EUba6nu+8ERp16RpMhtG8fQmu2kB8GPhW5MsuLC+lA',5,9,1,'staff','2026-12-07 17:51:56.595677');
INSERT INTO "app_user" VALUES(16,'caraka1','Samsul Bahri',NULL,'Caraka','caraka1@satupintu.local',NULL,'$argon2id$v=19$m=65536,t=3,p=4$pukHRGpZaAbGsISz+Bj3lQ$4EUba6nu+8ERp16RpMhtG8fQmu2kB8GPhW5MsuLC+lA',5,9,1,'staff','2026-12-07 17:51:56.596972');
INSERT INTO "app_user" VALUES(17,'pimpinan1','Drs. H. Abdul Hamid, M.H.','196905121994031004','Wakil Ketua Mahkamah Syar''iyah Lhokseumawe','pimpinan1@satupintu.local',NULL,'$argon2id$v=19$m=65536,t=3,p=4$pukHRGpZaAbGsISz+Bj3lQ$4EUba6nu+8ERp16RpMhtG8fQmu2kB8GPhW5MsuLC+lA',1,NULL,1,'staff','2026-12-07 17:51:56.598160');
INSERT INTO "app_user" VALUES(18,'panitera1','Zainal Abidin, S.H.','197808202003121002','Panitera Muda Hukum','panitera1@satupintu.local',NULL,'$argon2id$v=19$m=65536,t=3,p=4$pukHRGpZaAbGsISz+Bj3lQ$4EUba6nu+8ERp16RpMhtG8fQmu2kB8GPhW5MsuLC+lA',10,17,1,'staff','2026-12-07 17:51:56.599469');
INSERT INTO "app_user" VALUES(19,'dukcapil1','Rosmawati, S.Sos.','198502142010012003','Petugas Pencatatan Sipil (Disdukcapil Kota Lhokseumawe)','dukcapil1@satupintu.local',NULL,'$argon2id$v=19$m=65536,t=3,p=4$pukHRGpZaAbGsISz+Bj3lQ$4EUba6nu+8ERp16RpMhtG8fQmu2kB8GPhW5MsuLC+lA',12,NULL,1,'staff','2026-12-07 17:51:56.601004');
INSERT INTO "app_user" VALUES(20,'kasi1','Ir. Mukhlis, M.Si.','197511112002121001','Kepala Seksi Pelayanan','kasi1@satupintu.local',NULL,'$argon2id$v=19$m=65536,t=3,p=4$pukHRGpZaAbGsISz+Bj3lQ$4EUba6nu+8ERp16RpMhtG8fQmu2kB8GPhW5MsuLC+lA',11,17,1,'staff','2026-12-07 17:51:56.602500');
INSERT INTO "app_user" VALUES(21,'pengaduan1','Yuliana Putri, S.Kom.','199307072019032004','Admin Pengaduan','pengaduan1@satupintu.local',NULL,'$argon2id$v=19$m=65536,t=3,p=4$pukHRGpZaAbGsISz+Bj3lQ$4EUba6nu+8ERp16RpMhtG8fQmu2kB8GPhW5MsuLC+lA',11,20,1,'staff','2026-12-07 17:51:56.603848');
INSERT INTO "app_user" VALUES(22,'pemilik1','Irwan Saputra, S.T., M.M.','198004042006041002','Kepala Subbagian Perencanaan, TI dan Pelaporan (Pemilik Proses)','pemilik1@satupintu.local',NULL,'$argon2id$v=19$m=65536,t=3,p=4$pukHRGpZaAbGsISz+Bj3lQ$4EUba6nu+8ERp16RpMhtG8fQmu2kB8GPhW5MsuLC+lA',2,1,1,'staff','2026-12-07 17:51:56.606835');
INSERT INTO "app_user" VALUES(23,'auditor1','Drs. Bachtiar Yusuf, Ak.','197002021996031001','Auditor Inspektorat','auditor1@satupintu.local',NULL,'$argon2id$v=19$m=65536,t=3,p=4$pukHRGpZaAbGsISz+Bj3lQ$4EUba6nu+8ERp16RpMhtG8fQmu2kB8GPhW5MsuLC+lA',2,NULL,1,'staff','2026-12-07 17:51:56.609436');
INSERT INTO "app_user" VALUES(24,'3374010101900001','Budi Santoso',NULL,NULL,'pemohon1@satupintu.local','6281234567890','$argon2id$v=19$m=65536,t=3,p=4$pukHRGpZaAbGsISz+Bj3lQ$4EUba6nu+8ERp16RpMhtG8fQmu2kB8GPhW5MsuLC+lA',NULL,NULL,1,'applicant','2026-12-07 17:51:56.611305');
INSERT INTO "app_user" VALUES(25,'rilis-0091149-app_user-username','rilis-0091149-app_user-full_name','rilis-0091149-app_user-nip','rilis-0091149-app_user-position','rilis-0091149-app_user-email','rilis-0091149-app_user-phone','rilis-0091149-app_user-password_hash',1,1,1,'091149-app_user-kind','2026-11-02 09:30:00.000000');
CREATE TABLE applicant_profile (
	user_id INTEGER NOT NULL, 
	nik VARCHAR(16) NOT NULL, 
	npwp VARCHAR(20), 
	gender VARCHAR(1) NOT NULL, 
	birth_date DATE NOT NULL, 
	education VARCHAR(40) NOT NULL, 
	address TEXT NOT NULL, 
	province_code VARCHAR(20) NOT NULL, 
	regency_code VARCHAR(20) NOT NULL, 
	district_code VARCHAR(20) NOT NULL, 
	village_code VARCHAR(20) NOT NULL, 
	postal_code VARCHAR(5) NOT NULL, 
	PRIMARY KEY (user_id), 
	FOREIGN KEY(user_id) REFERENCES app_user (id), 
	UNIQUE (nik)
);
INSERT INTO "applicant_profile" VALUES(1,'cant_profile-nik','plicant_profile-npwp','r','2026-11-02','ilis-0091149-applicant_profile-education','rilis-0091149-applicant_profile-address','rofile-province_code','profile-regency_code','rofile-district_code','profile-village_code','_code');
INSERT INTO "applicant_profile" VALUES(24,'3374010101900001',NULL,'L','1990-01-01','S1','Jl. Pemuda No. 148, RT 02/RW 01','33','33.74','33.74.01','33.74.01.1007','50132');
CREATE TABLE case_event (
	id VARCHAR(160) NOT NULL, 
	workflow_id VARCHAR(100) NOT NULL, 
	process VARCHAR(40) NOT NULL, 
	subject_id VARCHAR(60) NOT NULL, 
	occurred_at DATETIME NOT NULL, 
	kind VARCHAR(40) NOT NULL, 
	title TEXT NOT NULL, 
	actor_id INTEGER, 
	actor_name VARCHAR(200), 
	role VARCHAR(60), 
	outcome VARCHAR(40), 
	reason TEXT, 
	detail JSON NOT NULL, 
	PRIMARY KEY (id), 
	FOREIGN KEY(actor_id) REFERENCES app_user (id)
);
INSERT INTO "case_event" VALUES('rilis-0091149-case_event-id','rilis-0091149-case_event-workflow_id','rilis-0091149-case_event-process','rilis-0091149-case_event-subject_id','2026-11-02 09:30:00.000000','rilis-0091149-case_event-kind','rilis-0091149-case_event-title',1,'rilis-0091149-case_event-actor_name','rilis-0091149-case_event-role','rilis-0091149-case_event-outcome','rilis-0091149-case_event-reason','{"rilis": "0091149", "angka": 1, "daftar": ["a", "b"]}');
CREATE TABLE chat_message (
	id INTEGER NOT NULL, 
	application_id INTEGER NOT NULL, 
	sender_id INTEGER NOT NULL, 
	body TEXT NOT NULL, 
	file_id VARCHAR(40), 
	created_at DATETIME NOT NULL, 
	PRIMARY KEY (id), 
	FOREIGN KEY(application_id) REFERENCES permit_application (id), 
	FOREIGN KEY(sender_id) REFERENCES app_user (id), 
	FOREIGN KEY(file_id) REFERENCES stored_file (id)
);
INSERT INTO "chat_message" VALUES(1,1,1,'rilis-0091149-chat_message-body','rilis-0091149-stored_file-id','2026-11-02 09:30:00.000000');
CREATE TABLE complaint (
	id INTEGER NOT NULL, 
	tracking_number VARCHAR(20) NOT NULL, 
	workflow_id VARCHAR(100) NOT NULL, 
	client_key VARCHAR(100), 
	channel VARCHAR(20) NOT NULL, 
	category VARCHAR(40) NOT NULL, 
	title VARCHAR(200) NOT NULL, 
	content TEXT NOT NULL, 
	nik VARCHAR(16), 
	phone VARCHAR(20), 
	email VARCHAR(200), 
	incident_date DATE, 
	applicant_id INTEGER, 
	application_id INTEGER, 
	photos JSON NOT NULL, 
	stage VARCHAR(20) NOT NULL, 
	status VARCHAR(30) NOT NULL, 
	letter_number VARCHAR(120), 
	letter_document_id VARCHAR(40), 
	unit_id INTEGER, 
	officer_id INTEGER, 
	response TEXT, 
	rejection_reason TEXT, 
	escalations INTEGER NOT NULL, 
	stage_due_at DATETIME, 
	created_at DATETIME NOT NULL, 
	responded_at DATETIME, 
	finished_at DATETIME, 
	PRIMARY KEY (id), 
	UNIQUE (tracking_number), 
	UNIQUE (workflow_id), 
	UNIQUE (client_key), 
	FOREIGN KEY(applicant_id) REFERENCES app_user (id), 
	FOREIGN KEY(application_id) REFERENCES permit_application (id), 
	FOREIGN KEY(letter_document_id) REFERENCES document (id), 
	FOREIGN KEY(unit_id) REFERENCES unit (id), 
	FOREIGN KEY(officer_id) REFERENCES app_user (id)
);
INSERT INTO "complaint" VALUES(1,'aint-tracking_number','rilis-0091149-complaint-workflow_id','rilis-0091149-complaint-client_key','49-complaint-channel','rilis-0091149-complaint-category','rilis-0091149-complaint-title','rilis-0091149-complaint-content','49-complaint-nik','1149-complaint-phone','rilis-0091149-complaint-email','2026-11-02',1,1,'{"rilis": "0091149", "angka": 1, "daftar": ["a", "b"]}','1149-complaint-stage','rilis-0091149-complaint-status','rilis-0091149-complaint-letter_number','rilis-0091149-document-id',1,1,'rilis-0091149-complaint-response','rilis-0091149-complaint-rejection_reason',7,'2026-11-02 09:30:00.000000','2026-11-02 09:30:00.000000','2026-11-02 09:30:00.000000','2026-11-02 09:30:00.000000');
CREATE TABLE document (
	id VARCHAR(40) NOT NULL, 
	idempotency_key VARCHAR(200) NOT NULL, 
	kind VARCHAR(40) NOT NULL, 
	workflow_id VARCHAR(100) NOT NULL, 
	title TEXT NOT NULL, 
	number VARCHAR(120), 
	file_name VARCHAR(200) NOT NULL, 
	sha256 VARCHAR(64) NOT NULL, 
	signed_by VARCHAR(200), 
	owner_id INTEGER, 
	summary JSON NOT NULL, 
	created_at DATETIME NOT NULL, 
	PRIMARY KEY (id), 
	UNIQUE (idempotency_key), 
	FOREIGN KEY(owner_id) REFERENCES app_user (id)
);
INSERT INTO "document" VALUES('rilis-0091149-document-id','rilis-0091149-document-idempotency_key','rilis-0091149-document-kind','rilis-0091149-document-workflow_id','rilis-0091149-document-title','rilis-0091149-document-number','rilis-0091149-document-file_name','rilis-0091149-document-sha256','rilis-0091149-document-signed_by',1,'{"rilis": "0091149", "angka": 1, "daftar": ["a", "b"]}','2026-11-02 09:30:00.000000');
CREATE TABLE email_code (
	id INTEGER NOT NULL, 
	email VARCHAR(200) NOT NULL, 
	purpose VARCHAR(20) NOT NULL, 
	code_hash VARCHAR(200) NOT NULL, 
	user_id INTEGER, 
	attempts INTEGER NOT NULL, 
	created_at DATETIME NOT NULL, 
	expires_at DATETIME NOT NULL, 
	used_at DATETIME, 
	PRIMARY KEY (id), 
	FOREIGN KEY(user_id) REFERENCES app_user (id)
);
INSERT INTO "email_code" VALUES(1,'rilis-0091149-email_code-email','9-email_code-purpose','rilis-0091149-email_code-code_hash',1,7,'2026-11-02 09:30:00.000000','2026-11-02 09:30:00.000000','2026-11-02 09:30:00.000000');
CREATE TABLE issued_number (
	id INTEGER NOT NULL, 
	idempotency_key VARCHAR(200) NOT NULL, 
	scope VARCHAR(80) NOT NULL, 
	year INTEGER NOT NULL, 
	sequence INTEGER NOT NULL, 
	number VARCHAR(120) NOT NULL, 
	subject TEXT NOT NULL, 
	issued_at DATETIME NOT NULL, 
	PRIMARY KEY (id), 
	UNIQUE (scope, year, sequence), 
	UNIQUE (idempotency_key)
);
INSERT INTO "issued_number" VALUES(1,'rilis-0091149-issued_number-idempotency_key','rilis-0091149-issued_number-scope',7,7,'rilis-0091149-issued_number-number','rilis-0091149-issued_number-subject','2026-11-02 09:30:00.000000');
CREATE TABLE leave_request (
	id INTEGER NOT NULL, 
	employee_id INTEGER NOT NULL, 
	leave_type VARCHAR(40) NOT NULL, 
	start_date DATE NOT NULL, 
	end_date DATE NOT NULL, 
	working_days INTEGER NOT NULL, 
	reason TEXT NOT NULL, 
	address_during_leave TEXT, 
	substitute_id INTEGER, 
	status VARCHAR(30) NOT NULL, 
	workflow_id VARCHAR(100) NOT NULL, 
	client_key VARCHAR(100), 
	letter_number VARCHAR(120), 
	document_id VARCHAR(40), 
	decision_reason TEXT, 
	created_at DATETIME NOT NULL, 
	finished_at DATETIME, 
	PRIMARY KEY (id), 
	FOREIGN KEY(employee_id) REFERENCES app_user (id), 
	FOREIGN KEY(substitute_id) REFERENCES app_user (id), 
	UNIQUE (workflow_id), 
	UNIQUE (client_key), 
	FOREIGN KEY(document_id) REFERENCES document (id)
);
INSERT INTO "leave_request" VALUES(1,1,'rilis-0091149-leave_request-leave_type','2026-11-02','2026-11-02',7,'rilis-0091149-leave_request-reason','rilis-0091149-leave_request-address_during_leave',1,'s-0091149-leave_request-status','rilis-0091149-leave_request-workflow_id','rilis-0091149-leave_request-client_key','rilis-0091149-leave_request-letter_number','rilis-0091149-document-id','rilis-0091149-leave_request-decision_reason','2026-11-02 09:30:00.000000','2026-11-02 09:30:00.000000');
CREATE TABLE letter (
	id INTEGER NOT NULL, 
	code VARCHAR(12) NOT NULL, 
	direction VARCHAR(10) NOT NULL, 
	workflow_id VARCHAR(100) NOT NULL, 
	client_key VARCHAR(100), 
	status VARCHAR(30) NOT NULL, 
	stage VARCHAR(40) NOT NULL, 
	subject TEXT NOT NULL, 
	sender VARCHAR(300), 
	sender_number VARCHAR(120), 
	received_via VARCHAR(20), 
	recipient VARCHAR(300), 
	letter_date DATE NOT NULL, 
	classification VARCHAR(20), 
	category VARCHAR(20), 
	number VARCHAR(120), 
	disposition JSON, 
	documents JSON NOT NULL, 
	scan_file_id VARCHAR(40), 
	softcopy_file_id VARCHAR(40), 
	delivered_to TEXT, 
	notes TEXT, 
	created_by_id INTEGER NOT NULL, 
	unit_id INTEGER, 
	created_at DATETIME NOT NULL, 
	finished_at DATETIME, 
	PRIMARY KEY (id), 
	UNIQUE (code), 
	UNIQUE (workflow_id), 
	UNIQUE (client_key), 
	FOREIGN KEY(scan_file_id) REFERENCES stored_file (id), 
	FOREIGN KEY(softcopy_file_id) REFERENCES stored_file (id), 
	FOREIGN KEY(created_by_id) REFERENCES app_user (id), 
	FOREIGN KEY(unit_id) REFERENCES unit (id)
);
INSERT INTO "letter" VALUES(1,'-letter-code','-direction','rilis-0091149-letter-workflow_id','rilis-0091149-letter-client_key','rilis-0091149-letter-status','rilis-0091149-letter-stage','rilis-0091149-letter-subject','rilis-0091149-letter-sender','rilis-0091149-letter-sender_number','-letter-received_via','rilis-0091149-letter-recipient','2026-11-02','etter-classification','1149-letter-category','rilis-0091149-letter-number','{"rilis": "0091149", "angka": 1, "daftar": ["a", "b"]}','{"rilis": "0091149", "angka": 1, "daftar": ["a", "b"]}','rilis-0091149-stored_file-id','rilis-0091149-stored_file-id','rilis-0091149-letter-delivered_to','rilis-0091149-letter-notes',1,1,'2026-11-02 09:30:00.000000','2026-11-02 09:30:00.000000');
CREATE TABLE notification (
	id INTEGER NOT NULL, 
	idempotency_key VARCHAR(200) NOT NULL, 
	channel VARCHAR(20) NOT NULL, 
	recipient_id INTEGER, 
	address VARCHAR(200), 
	subject TEXT NOT NULL, 
	body TEXT NOT NULL, 
	link TEXT, 
	status VARCHAR(20) NOT NULL, 
	attempts INTEGER NOT NULL, 
	last_error TEXT, 
	created_at DATETIME NOT NULL, 
	sent_at DATETIME, 
	read_at DATETIME, 
	PRIMARY KEY (id), 
	UNIQUE (idempotency_key, channel), 
	FOREIGN KEY(recipient_id) REFERENCES app_user (id)
);
INSERT INTO "notification" VALUES(1,'rilis-0091149-notification-idempotency_key','notification-channel',1,'rilis-0091149-notification-address','rilis-0091149-notification-subject','rilis-0091149-notification-body','rilis-0091149-notification-link','-notification-status',7,'rilis-0091149-notification-last_error','2026-11-02 09:30:00.000000','2026-11-02 09:30:00.000000','2026-11-02 09:30:00.000000');
CREATE TABLE number_sequence (
	scope VARCHAR(80) NOT NULL, 
	year INTEGER NOT NULL, 
	last_value INTEGER NOT NULL, 
	PRIMARY KEY (scope, year)
);
INSERT INTO "number_sequence" VALUES('rilis-0091149-number_sequence-scope',7,7);
CREATE TABLE permit_application (
	id INTEGER NOT NULL, 
	resi VARCHAR(6) NOT NULL, 
	applicant_id INTEGER NOT NULL, 
	agency_code VARCHAR(40) NOT NULL, 
	permit_type VARCHAR(60) NOT NULL, 
	request_kind VARCHAR(20) NOT NULL, 
	status VARCHAR(20) NOT NULL, 
	stage VARCHAR(40) NOT NULL, 
	workflow_id VARCHAR(100) NOT NULL, 
	client_key VARCHAR(100), 
	applicant_data JSON NOT NULL, 
	company JSON, 
	location JSON NOT NULL, 
	details JSON NOT NULL, 
	documents JSON NOT NULL, 
	revision_round INTEGER NOT NULL, 
	revision_notes TEXT, 
	revision_due_at DATETIME, 
	decision_reason TEXT, 
	permit_number VARCHAR(120), 
	permit_document_id VARCHAR(40), 
	download_expires_at DATETIME, 
	downloaded_at DATETIME, 
	clock JSON NOT NULL, 
	created_at DATETIME NOT NULL, 
	finished_at DATETIME, 
	PRIMARY KEY (id), 
	UNIQUE (resi), 
	FOREIGN KEY(applicant_id) REFERENCES app_user (id), 
	UNIQUE (workflow_id), 
	UNIQUE (client_key), 
	FOREIGN KEY(permit_document_id) REFERENCES document (id)
);
INSERT INTO "permit_application" VALUES(1,'n-resi',1,'s-0091149-permit_application-agency_code','rilis-0091149-permit_application-permit_type','ication-request_kind','t_application-status','rilis-0091149-permit_application-stage','rilis-0091149-permit_application-workflow_id','rilis-0091149-permit_application-client_key','{"rilis": "0091149", "angka": 1, "daftar": ["a", "b"]}','{"rilis": "0091149", "angka": 1, "daftar": ["a", "b"]}','{"rilis": "0091149", "angka": 1, "daftar": ["a", "b"]}','{"rilis": "0091149", "angka": 1, "daftar": ["a", "b"]}','{"rilis": "0091149", "angka": 1, "daftar": ["a", "b"]}',7,'rilis-0091149-permit_application-revision_notes','2026-11-02 09:30:00.000000','rilis-0091149-permit_application-decision_reason','rilis-0091149-permit_application-permit_number','rilis-0091149-document-id','2026-11-02 09:30:00.000000','2026-11-02 09:30:00.000000','{"rilis": "0091149", "angka": 1, "daftar": ["a", "b"]}','2026-11-02 09:30:00.000000','2026-11-02 09:30:00.000000');
CREATE TABLE permit_draft (
	id INTEGER NOT NULL, 
	applicant_id INTEGER NOT NULL, 
	step INTEGER NOT NULL, 
	data JSON NOT NULL, 
	updated_at DATETIME NOT NULL, 
	PRIMARY KEY (id), 
	FOREIGN KEY(applicant_id) REFERENCES app_user (id)
);
INSERT INTO "permit_draft" VALUES(1,1,7,'{"rilis": "0091149", "angka": 1, "daftar": ["a", "b"]}','2026-11-02 09:30:00.000000');
CREATE TABLE permit_revision (
	id INTEGER NOT NULL, 
	application_id INTEGER NOT NULL, 
	round INTEGER NOT NULL, 
	snapshot JSON NOT NULL, 
	submitted_at DATETIME NOT NULL, 
	PRIMARY KEY (id), 
	UNIQUE (application_id, round), 
	FOREIGN KEY(application_id) REFERENCES permit_application (id)
);
INSERT INTO "permit_revision" VALUES(1,1,7,'{"rilis": "0091149", "angka": 1, "daftar": ["a", "b"]}','2026-11-02 09:30:00.000000');
CREATE TABLE process_run (
	workflow_id VARCHAR(160) NOT NULL, 
	run_id VARCHAR(64) NOT NULL, 
	process VARCHAR(40) NOT NULL, 
	workflow_type VARCHAR(80) NOT NULL, 
	business_key VARCHAR(160) NOT NULL, 
	status VARCHAR(20) NOT NULL, 
	started_at DATETIME NOT NULL, 
	closed_at DATETIME, 
	synced_at DATETIME NOT NULL, 
	PRIMARY KEY (workflow_id)
);
INSERT INTO "process_run" VALUES('rilis-0091149-process_run-workflow_id','rilis-0091149-process_run-run_id','rilis-0091149-process_run-process','rilis-0091149-process_run-workflow_type','rilis-0091149-process_run-business_key','9-process_run-status','2026-11-02 09:30:00.000000','2026-11-02 09:30:00.000000','2026-11-02 09:30:00.000000');
CREATE TABLE queue_ticket (
	id INTEGER NOT NULL, 
	service_day DATE NOT NULL, 
	group_code VARCHAR(8) NOT NULL, 
	sequence INTEGER NOT NULL, 
	number VARCHAR(16) NOT NULL, 
	status VARCHAR(12) NOT NULL, 
	counter_code VARCHAR(8), 
	called_at DATETIME, 
	called_by_id INTEGER, 
	recall_count INTEGER NOT NULL, 
	finished_at DATETIME, 
	visit_id INTEGER, 
	created_at DATETIME NOT NULL, 
	PRIMARY KEY (id), 
	CONSTRAINT uq_queue_ticket_day_group_seq UNIQUE (service_day, group_code, sequence), 
	FOREIGN KEY(called_by_id) REFERENCES app_user (id), 
	FOREIGN KEY(visit_id) REFERENCES walk_in_visit (id)
);
INSERT INTO "queue_ticket" VALUES(1,'2026-11-02','oup_code',7,'ue_ticket-number','icket-status','ter_code','2026-11-02 09:30:00.000000',1,7,'2026-11-02 09:30:00.000000',1,'2026-11-02 09:30:00.000000');
CREATE TABLE registry_callback (
	id INTEGER NOT NULL, 
	event_id VARCHAR(120) NOT NULL, 
	request_code VARCHAR(12) NOT NULL, 
	body JSON NOT NULL, 
	status VARCHAR(20) NOT NULL, 
	created_at DATETIME NOT NULL, 
	PRIMARY KEY (id), 
	UNIQUE (event_id)
);
INSERT INTO "registry_callback" VALUES(1,'rilis-0091149-registry_callback-event_id','request_code','{"rilis": "0091149", "angka": 1, "daftar": ["a", "b"]}','stry_callback-status','2026-11-02 09:30:00.000000');
CREATE TABLE signing_authorization (
	token_hash VARCHAR(64) NOT NULL, 
	signer_id INTEGER NOT NULL, 
	wrapped_key TEXT NOT NULL, 
	expires_at DATETIME NOT NULL, 
	PRIMARY KEY (token_hash), 
	FOREIGN KEY(signer_id) REFERENCES app_user (id)
);
INSERT INTO "signing_authorization" VALUES('rilis-0091149-signing_authorization-token_hash',1,'rilis-0091149-signing_authorization-wrapped_key','2026-11-02 09:30:00.000000');
CREATE TABLE siramasakan_request (
	id INTEGER NOT NULL, 
	code VARCHAR(12) NOT NULL, 
	workflow_id VARCHAR(100) NOT NULL, 
	client_key VARCHAR(100), 
	applicant_id INTEGER NOT NULL, 
	case_number VARCHAR(80) NOT NULL, 
	kk_number VARCHAR(16) NOT NULL, 
	changes JSON NOT NULL, 
	status VARCHAR(30) NOT NULL, 
	stage VARCHAR(40) NOT NULL, 
	decision_date DATE, 
	decided_case_number VARCHAR(80), 
	handoff_path VARCHAR(10), 
	handed_off_at DATETIME, 
	registry_reference VARCHAR(120), 
	outcome VARCHAR(20), 
	outcome_reason TEXT, 
	documents_to_collect JSON NOT NULL, 
	reminders_sent INTEGER NOT NULL, 
	created_at DATETIME NOT NULL, 
	finished_at DATETIME, 
	PRIMARY KEY (id), 
	UNIQUE (code), 
	UNIQUE (workflow_id), 
	UNIQUE (client_key), 
	FOREIGN KEY(applicant_id) REFERENCES app_user (id)
);
INSERT INTO "siramasakan_request" VALUES(1,'request-code','rilis-0091149-siramasakan_request-workflow_id','rilis-0091149-siramasakan_request-client_key',1,'rilis-0091149-siramasakan_request-case_number','equest-kk_number','{"rilis": "0091149", "angka": 1, "daftar": ["a", "b"]}','149-siramasakan_request-status','rilis-0091149-siramasakan_request-stage','2026-11-02','rilis-0091149-siramasakan_request-decided_case_number','ndoff_path','2026-11-02 09:30:00.000000','rilis-0091149-siramasakan_request-registry_reference','akan_request-outcome','rilis-0091149-siramasakan_request-outcome_reason','{"rilis": "0091149", "angka": 1, "daftar": ["a", "b"]}',7,'2026-11-02 09:30:00.000000','2026-11-02 09:30:00.000000');
CREATE TABLE stored_file (
	id VARCHAR(40) NOT NULL, 
	owner_id INTEGER NOT NULL, 
	name VARCHAR(200) NOT NULL, 
	original_filename VARCHAR(300) NOT NULL, 
	media_type VARCHAR(100) NOT NULL, 
	extension VARCHAR(10) NOT NULL, 
	size INTEGER NOT NULL, 
	sha256 VARCHAR(64) NOT NULL, 
	created_at DATETIME NOT NULL, 
	deleted_at DATETIME, 
	PRIMARY KEY (id), 
	FOREIGN KEY(owner_id) REFERENCES app_user (id)
);
INSERT INTO "stored_file" VALUES('rilis-0091149-stored_file-id',1,'rilis-0091149-stored_file-name','rilis-0091149-stored_file-original_filename','rilis-0091149-stored_file-media_type','-extension',7,'rilis-0091149-stored_file-sha256','2026-11-02 09:30:00.000000','2026-11-02 09:30:00.000000');
CREATE TABLE substitution (
	id INTEGER NOT NULL, 
	official_id INTEGER NOT NULL, 
	acting_id INTEGER NOT NULL, 
	start_date DATE NOT NULL, 
	end_date DATE NOT NULL, 
	reason TEXT NOT NULL, 
	source VARCHAR(20) NOT NULL, 
	leave_request_id INTEGER, 
	created_by_id INTEGER, 
	created_at DATETIME NOT NULL, 
	cancelled_at DATETIME, 
	PRIMARY KEY (id), 
	FOREIGN KEY(official_id) REFERENCES app_user (id), 
	FOREIGN KEY(acting_id) REFERENCES app_user (id), 
	UNIQUE (leave_request_id), 
	FOREIGN KEY(leave_request_id) REFERENCES leave_request (id), 
	FOREIGN KEY(created_by_id) REFERENCES app_user (id)
);
INSERT INTO "substitution" VALUES(1,1,1,'2026-11-02','2026-11-02','rilis-0091149-substitution-reason','-substitution-source',1,1,'2026-11-02 09:30:00.000000','2026-11-02 09:30:00.000000');
CREATE TABLE survey_response (
	id INTEGER NOT NULL, 
	application_id INTEGER NOT NULL, 
	permit_type VARCHAR(60) NOT NULL, 
	answers JSON NOT NULL, 
	ikm DOUBLE NOT NULL, 
	comment TEXT, 
	created_at DATETIME NOT NULL, 
	PRIMARY KEY (id), 
	UNIQUE (application_id), 
	FOREIGN KEY(application_id) REFERENCES permit_application (id)
);
INSERT INTO "survey_response" VALUES(1,1,'rilis-0091149-survey_response-permit_type','{"rilis": "0091149", "angka": 1, "daftar": ["a", "b"]}',7.5,'rilis-0091149-survey_response-comment','2026-11-02 09:30:00.000000');
CREATE TABLE task (
	id VARCHAR(160) NOT NULL, 
	workflow_id VARCHAR(100) NOT NULL, 
	process VARCHAR(40) NOT NULL, 
	subject_id VARCHAR(60) NOT NULL, 
	title TEXT NOT NULL, 
	summary JSON NOT NULL, 
	role VARCHAR(60) NOT NULL, 
	owner_id INTEGER, 
	delegate_id INTEGER, 
	claimed_by_id INTEGER, 
	status VARCHAR(20) NOT NULL, 
	outcomes JSON NOT NULL, 
	form JSON NOT NULL, 
	created_at DATETIME NOT NULL, 
	due_at DATETIME, 
	escalate_at DATETIME, 
	escalated_at DATETIME, 
	escalated_to_role VARCHAR(60), 
	reminded_at DATETIME, 
	completed_at DATETIME, 
	completed_by_id INTEGER, 
	acting_for_id INTEGER, 
	outcome VARCHAR(40), 
	reason TEXT, 
	data JSON NOT NULL, 
	PRIMARY KEY (id), 
	FOREIGN KEY(owner_id) REFERENCES app_user (id), 
	FOREIGN KEY(delegate_id) REFERENCES app_user (id), 
	FOREIGN KEY(claimed_by_id) REFERENCES app_user (id), 
	FOREIGN KEY(completed_by_id) REFERENCES app_user (id), 
	FOREIGN KEY(acting_for_id) REFERENCES app_user (id)
);
INSERT INTO "task" VALUES('rilis-0091149-task-id','rilis-0091149-task-workflow_id','rilis-0091149-task-process','rilis-0091149-task-subject_id','rilis-0091149-task-title','{"rilis": "0091149", "angka": 1, "daftar": ["a", "b"]}','rilis-0091149-task-role',1,1,1,'-0091149-task-status','{"rilis": "0091149", "angka": 1, "daftar": ["a", "b"]}','{"rilis": "0091149", "angka": 1, "daftar": ["a", "b"]}','2026-11-02 09:30:00.000000','2026-11-02 09:30:00.000000','2026-11-02 09:30:00.000000','2026-11-02 09:30:00.000000','rilis-0091149-task-escalated_to_role','2026-11-02 09:30:00.000000','2026-11-02 09:30:00.000000',1,1,'rilis-0091149-task-outcome','rilis-0091149-task-reason','{"rilis": "0091149", "angka": 1, "daftar": ["a", "b"]}');
CREATE TABLE throttle (
	"key" VARCHAR(200) NOT NULL, 
	failures INTEGER NOT NULL, 
	window_started_at DATETIME NOT NULL, 
	blocked_until DATETIME, 
	PRIMARY KEY ("key")
);
INSERT INTO "throttle" VALUES('rilis-0091149-throttle-key',7,'2026-11-02 09:30:00.000000','2026-11-02 09:30:00.000000');
CREATE TABLE unit (
	id INTEGER NOT NULL, 
	code VARCHAR(40) NOT NULL, 
	name VARCHAR(200) NOT NULL, 
	parent_id INTEGER, 
	PRIMARY KEY (id), 
	UNIQUE (code), 
	FOREIGN KEY(parent_id) REFERENCES unit (id)
);
INSERT INTO "unit" VALUES(1,'MS-LSM','Mahkamah Syar''iyah Lhokseumawe',NULL);
INSERT INTO "unit" VALUES(2,'SEKRE','Kesekretariatan',1);
INSERT INTO "unit" VALUES(3,'KEPEG','Subbagian Kepegawaian dan Ortala',2);
INSERT INTO "unit" VALUES(4,'UMUM','Subbagian Umum dan Keuangan',2);
INSERT INTO "unit" VALUES(5,'TU','Bagian Tata Usaha',1);
INSERT INTO "unit" VALUES(6,'PTSP','Pelayanan Terpadu Satu Pintu',5);
INSERT INTO "unit" VALUES(7,'PENMAD','Seksi Pendidikan Madrasah',1);
INSERT INTO "unit" VALUES(8,'BIMAS','Seksi Bimbingan Masyarakat Islam',1);
INSERT INTO "unit" VALUES(9,'PHU','Seksi Penyelenggaraan Haji dan Umrah',1);
INSERT INTO "unit" VALUES(10,'KEPANITERAAN','Kepaniteraan',1);
INSERT INTO "unit" VALUES(11,'PELAYANAN','Seksi Pelayanan',1);
INSERT INTO "unit" VALUES(12,'DUKCAPIL','Dinas Kependudukan dan Pencatatan Sipil Kota Lhokseumawe (mitra)',NULL);
INSERT INTO "unit" VALUES(13,'rilis-0091149-unit-code','rilis-0091149-unit-name',1);
CREATE TABLE user_role (
	user_id INTEGER NOT NULL, 
	role VARCHAR(60) NOT NULL, 
	PRIMARY KEY (user_id, role), 
	FOREIGN KEY(user_id) REFERENCES app_user (id)
);
INSERT INTO "user_role" VALUES(1,'kepala_kantor');
INSERT INTO "user_role" VALUES(1,'atasan');
INSERT INTO "user_role" VALUES(1,'penandatangan');
INSERT INTO "user_role" VALUES(2,'atasan');
INSERT INTO "user_role" VALUES(3,'atasan');
INSERT INTO "user_role" VALUES(3,'kepala_subbag_umum');
INSERT INTO "user_role" VALUES(4,'pegawai');
INSERT INTO "user_role" VALUES(5,'pegawai');
INSERT INTO "user_role" VALUES(6,'pegawai');
INSERT INTO "user_role" VALUES(6,'penomoran');
INSERT INTO "user_role" VALUES(7,'pegawai');
INSERT INTO "user_role" VALUES(7,'verifikator');
INSERT INTO "user_role" VALUES(8,'admin');
INSERT INTO "user_role" VALUES(9,'atasan');
INSERT INTO "user_role" VALUES(9,'tata_usaha');
INSERT INTO "user_role" VALUES(10,'pegawai');
INSERT INTO "user_role" VALUES(10,'atasan');
INSERT INTO "user_role" VALUES(10,'supervisor');
INSERT INTO "user_role" VALUES(11,'pegawai');
INSERT INTO "user_role" VALUES(11,'petugas_informasi');
INSERT INTO "user_role" VALUES(12,'pegawai');
INSERT INTO "user_role" VALUES(12,'front_office');
INSERT INTO "user_role" VALUES(12,'petugas_informasi');
INSERT INTO "user_role" VALUES(13,'pegawai');
INSERT INTO "user_role" VALUES(13,'back_office');
INSERT INTO "user_role" VALUES(14,'pegawai');
INSERT INTO "user_role" VALUES(14,'atasan');
INSERT INTO "user_role" VALUES(14,'unit_kerja');
INSERT INTO "user_role" VALUES(15,'pegawai');
INSERT INTO "user_role" VALUES(15,'arsiparis');
INSERT INTO "user_role" VALUES(16,'pegawai');
INSERT INTO "user_role" VALUES(16,'caraka');
INSERT INTO "user_role" VALUES(17,'kepala_kantor');
INSERT INTO "user_role" VALUES(17,'atasan');
INSERT INTO "user_role" VALUES(18,'pegawai');
INSERT INTO "user_role" VALUES(18,'panitera');
INSERT INTO "user_role" VALUES(19,'dukcapil');
INSERT INTO "user_role" VALUES(20,'pegawai');
INSERT INTO "user_role" VALUES(20,'atasan');
INSERT INTO "user_role" VALUES(20,'kepala_seksi');
INSERT INTO "user_role" VALUES(21,'pegawai');
INSERT INTO "user_role" VALUES(21,'pengaduan_admin');
INSERT INTO "user_role" VALUES(22,'pegawai');
INSERT INTO "user_role" VALUES(22,'pemilik_proses');
INSERT INTO "user_role" VALUES(23,'auditor');
INSERT INTO "user_role" VALUES(24,'pemohon');
INSERT INTO "user_role" VALUES(1,'rilis-0091149-user_role-role');
CREATE TABLE walk_in_visit (
	id INTEGER NOT NULL, 
	code VARCHAR(12) NOT NULL, 
	workflow_id VARCHAR(100) NOT NULL, 
	client_key VARCHAR(100), 
	service_code VARCHAR(60) NOT NULL, 
	service_name VARCHAR(200) NOT NULL, 
	one_day BOOLEAN NOT NULL, 
	visitor_name VARCHAR(200) NOT NULL, 
	visitor_phone VARCHAR(20), 
	visitor_nik VARCHAR(16), 
	queue_number VARCHAR(16), 
	registered_by_id INTEGER NOT NULL, 
	status VARCHAR(30) NOT NULL, 
	stage VARCHAR(40) NOT NULL, 
	receipt_number VARCHAR(120), 
	estimated_done_at DATETIME, 
	target_at DATETIME, 
	overrun_at DATETIME, 
	result_number VARCHAR(120), 
	documents JSON NOT NULL, 
	rating INTEGER, 
	created_at DATETIME NOT NULL, 
	finished_at DATETIME, 
	PRIMARY KEY (id), 
	UNIQUE (code), 
	UNIQUE (workflow_id), 
	UNIQUE (client_key), 
	FOREIGN KEY(registered_by_id) REFERENCES app_user (id)
);
INSERT INTO "walk_in_visit" VALUES(1,'n_visit-code','rilis-0091149-walk_in_visit-workflow_id','rilis-0091149-walk_in_visit-client_key','rilis-0091149-walk_in_visit-service_code','rilis-0091149-walk_in_visit-service_name',1,'rilis-0091149-walk_in_visit-visitor_name','_visit-visitor_phone','isit-visitor_nik','sit-queue_number',1,'s-0091149-walk_in_visit-status','rilis-0091149-walk_in_visit-stage','rilis-0091149-walk_in_visit-receipt_number','2026-11-02 09:30:00.000000','2026-11-02 09:30:00.000000','2026-11-02 09:30:00.000000','rilis-0091149-walk_in_visit-result_number','{"rilis": "0091149", "angka": 1, "daftar": ["a", "b"]}',7,'2026-11-02 09:30:00.000000','2026-11-02 09:30:00.000000');
CREATE TABLE whatsapp_message (
	id INTEGER NOT NULL, 
	wa_message_id VARCHAR(200), 
	direction VARCHAR(3) NOT NULL, 
	phone VARCHAR(20) NOT NULL, 
	contact_name VARCHAR(200), 
	body TEXT NOT NULL, 
	status VARCHAR(20) NOT NULL, 
	notification_id INTEGER, 
	sent_by_id INTEGER, 
	raw JSON NOT NULL, 
	created_at DATETIME NOT NULL, 
	PRIMARY KEY (id), 
	UNIQUE (wa_message_id), 
	FOREIGN KEY(notification_id) REFERENCES notification (id), 
	FOREIGN KEY(sent_by_id) REFERENCES app_user (id)
);
INSERT INTO "whatsapp_message" VALUES(1,'rilis-0091149-whatsapp_message-wa_message_id','ion','atsapp_message-phone','rilis-0091149-whatsapp_message-contact_name','rilis-0091149-whatsapp_message-body','tsapp_message-status',1,1,'{"rilis": "0091149", "angka": 1, "daftar": ["a", "b"]}','2026-11-02 09:30:00.000000');
CREATE INDEX ix_process_run_started ON process_run (started_at, workflow_id);
CREATE INDEX ix_process_run_business_key ON process_run (business_key);
CREATE INDEX ix_process_run_process_status_started ON process_run (process, status, started_at, workflow_id);
CREATE INDEX ix_process_run_status_started ON process_run (status, started_at, workflow_id);
CREATE INDEX ix_process_run_process_started ON process_run (process, started_at, workflow_id);
CREATE INDEX ix_process_run_closed ON process_run (closed_at);
CREATE INDEX ix_registry_callback_request_code ON registry_callback (request_code);
CREATE INDEX ix_user_role_role ON user_role (role);
CREATE INDEX ix_case_event_workflow_id ON case_event (workflow_id);
CREATE INDEX ix_task_inbox_owned ON task (status, owner_id, created_at, id) WHERE owner_id IS NOT NULL;
CREATE INDEX ix_task_inbox_delegate ON task (status, delegate_id, created_at, id);
CREATE INDEX ix_task_inbox_escalated ON task (status, escalated_to_role, created_at, id);
CREATE INDEX ix_task_inbox_role_unowned ON task (status, role, created_at, id) WHERE owner_id IS NULL;
CREATE INDEX ix_task_workflow_id ON task (workflow_id);
CREATE INDEX ix_task_inbox_done ON task (status, completed_by_id, completed_at, id);
CREATE INDEX ix_notification_recipient_id ON notification (recipient_id);
CREATE INDEX ix_document_workflow_id ON document (workflow_id);
CREATE INDEX ix_email_code_email ON email_code (email);
CREATE INDEX ix_stored_file_owner_id ON stored_file (owner_id);
CREATE INDEX ix_permit_draft_applicant_id ON permit_draft (applicant_id);
CREATE INDEX ix_walk_in_open ON walk_in_visit (finished_at, created_at);
CREATE INDEX ix_walk_in_visit_status ON walk_in_visit (status);
CREATE INDEX ix_siramasakan_request_status ON siramasakan_request (status);
CREATE INDEX ix_siramasakan_pending ON siramasakan_request (finished_at, handed_off_at);
CREATE INDEX ix_siramasakan_request_applicant_id ON siramasakan_request (applicant_id);
CREATE INDEX ix_leave_request_employee_id ON leave_request (employee_id);
CREATE INDEX ix_leave_request_status ON leave_request (status);
CREATE INDEX ix_permit_application_applicant_id ON permit_application (applicant_id);
CREATE INDEX ix_permit_application_status ON permit_application (status);
CREATE INDEX ix_queue_ticket_counter ON queue_ticket (service_day, counter_code, called_at);
CREATE INDEX ix_queue_ticket_waiting ON queue_ticket (service_day, group_code, status, sequence);
CREATE INDEX ix_letter_status ON letter (status);
CREATE INDEX ix_letter_created_by_id ON letter (created_by_id);
CREATE INDEX ix_whatsapp_message_phone ON whatsapp_message (phone);
CREATE INDEX ix_substitution_official_id ON substitution (official_id);
CREATE INDEX ix_substitution_acting_id ON substitution (acting_id);
CREATE INDEX ix_permit_revision_application_id ON permit_revision (application_id);
CREATE INDEX ix_chat_message_application_id ON chat_message (application_id);
CREATE INDEX ix_survey_response_permit_type ON survey_response (permit_type);
CREATE INDEX ix_complaint_category ON complaint (category);
CREATE INDEX ix_complaint_applicant_id ON complaint (applicant_id);
CREATE INDEX ix_complaint_stage ON complaint (stage);
COMMIT;
