-- SatuPintu database as release 0091149 leaves it (scripts/release_database.py)
--
-- PostgreSQL database dump
--


-- Dumped from database version 15.18 (Debian 15.18-0+deb12u1)
-- Dumped by pg_dump version 15.18 (Debian 15.18-0+deb12u1)

SET statement_timeout = 0;
SET lock_timeout = 0;
SET idle_in_transaction_session_timeout = 0;
SET client_encoding = 'UTF8';
SET standard_conforming_strings = on;
SELECT pg_catalog.set_config('search_path', '', false);
SET check_function_bodies = false;
SET xmloption = content;
SET client_min_messages = warning;
SET row_security = off;

SET default_tablespace = '';

SET default_table_access_method = heap;

--
-- Name: app_user; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.app_user (
    id integer NOT NULL,
    username character varying(80) NOT NULL,
    full_name character varying(200) NOT NULL,
    nip character varying(30),
    "position" character varying(200),
    email character varying(200),
    phone character varying(30),
    password_hash character varying(300) NOT NULL,
    unit_id integer,
    supervisor_id integer,
    is_active boolean NOT NULL,
    kind character varying(20) NOT NULL,
    created_at timestamp with time zone NOT NULL
);


--
-- Name: app_user_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.app_user_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: app_user_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.app_user_id_seq OWNED BY public.app_user.id;


--
-- Name: applicant_profile; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.applicant_profile (
    user_id integer NOT NULL,
    nik character varying(16) NOT NULL,
    npwp character varying(20),
    gender character varying(1) NOT NULL,
    birth_date date NOT NULL,
    education character varying(40) NOT NULL,
    address text NOT NULL,
    province_code character varying(20) NOT NULL,
    regency_code character varying(20) NOT NULL,
    district_code character varying(20) NOT NULL,
    village_code character varying(20) NOT NULL,
    postal_code character varying(5) NOT NULL
);


--
-- Name: case_event; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.case_event (
    id character varying(160) NOT NULL,
    workflow_id character varying(100) NOT NULL,
    process character varying(40) NOT NULL,
    subject_id character varying(60) NOT NULL,
    occurred_at timestamp with time zone NOT NULL,
    kind character varying(40) NOT NULL,
    title text NOT NULL,
    actor_id integer,
    actor_name character varying(200),
    role character varying(60),
    outcome character varying(40),
    reason text,
    detail json NOT NULL
);


--
-- Name: chat_message; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.chat_message (
    id integer NOT NULL,
    application_id integer NOT NULL,
    sender_id integer NOT NULL,
    body text NOT NULL,
    file_id character varying(40),
    created_at timestamp with time zone NOT NULL
);


--
-- Name: chat_message_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.chat_message_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: chat_message_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.chat_message_id_seq OWNED BY public.chat_message.id;


--
-- Name: complaint; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.complaint (
    id integer NOT NULL,
    tracking_number character varying(20) NOT NULL,
    workflow_id character varying(100) NOT NULL,
    client_key character varying(100),
    channel character varying(20) NOT NULL,
    category character varying(40) NOT NULL,
    title character varying(200) NOT NULL,
    content text NOT NULL,
    nik character varying(16),
    phone character varying(20),
    email character varying(200),
    incident_date date,
    applicant_id integer,
    application_id integer,
    photos json NOT NULL,
    stage character varying(20) NOT NULL,
    status character varying(30) NOT NULL,
    letter_number character varying(120),
    letter_document_id character varying(40),
    unit_id integer,
    officer_id integer,
    response text,
    rejection_reason text,
    escalations integer NOT NULL,
    stage_due_at timestamp with time zone,
    created_at timestamp with time zone NOT NULL,
    responded_at timestamp with time zone,
    finished_at timestamp with time zone
);


--
-- Name: complaint_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.complaint_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: complaint_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.complaint_id_seq OWNED BY public.complaint.id;


--
-- Name: document; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.document (
    id character varying(40) NOT NULL,
    idempotency_key character varying(200) NOT NULL,
    kind character varying(40) NOT NULL,
    workflow_id character varying(100) NOT NULL,
    title text NOT NULL,
    number character varying(120),
    file_name character varying(200) NOT NULL,
    sha256 character varying(64) NOT NULL,
    signed_by character varying(200),
    owner_id integer,
    summary json NOT NULL,
    created_at timestamp with time zone NOT NULL
);


--
-- Name: email_code; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.email_code (
    id integer NOT NULL,
    email character varying(200) NOT NULL,
    purpose character varying(20) NOT NULL,
    code_hash character varying(200) NOT NULL,
    user_id integer,
    attempts integer NOT NULL,
    created_at timestamp with time zone NOT NULL,
    expires_at timestamp with time zone NOT NULL,
    used_at timestamp with time zone
);


--
-- Name: email_code_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.email_code_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: email_code_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.email_code_id_seq OWNED BY public.email_code.id;


--
-- Name: issued_number; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.issued_number (
    id integer NOT NULL,
    idempotency_key character varying(200) NOT NULL,
    scope character varying(80) NOT NULL,
    year integer NOT NULL,
    sequence integer NOT NULL,
    number character varying(120) NOT NULL,
    subject text NOT NULL,
    issued_at timestamp with time zone NOT NULL
);


--
-- Name: issued_number_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.issued_number_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: issued_number_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.issued_number_id_seq OWNED BY public.issued_number.id;


--
-- Name: leave_request; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.leave_request (
    id integer NOT NULL,
    employee_id integer NOT NULL,
    leave_type character varying(40) NOT NULL,
    start_date date NOT NULL,
    end_date date NOT NULL,
    working_days integer NOT NULL,
    reason text NOT NULL,
    address_during_leave text,
    substitute_id integer,
    status character varying(30) NOT NULL,
    workflow_id character varying(100) NOT NULL,
    client_key character varying(100),
    letter_number character varying(120),
    document_id character varying(40),
    decision_reason text,
    created_at timestamp with time zone NOT NULL,
    finished_at timestamp with time zone
);


--
-- Name: leave_request_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.leave_request_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: leave_request_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.leave_request_id_seq OWNED BY public.leave_request.id;


--
-- Name: letter; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.letter (
    id integer NOT NULL,
    code character varying(12) NOT NULL,
    direction character varying(10) NOT NULL,
    workflow_id character varying(100) NOT NULL,
    client_key character varying(100),
    status character varying(30) NOT NULL,
    stage character varying(40) NOT NULL,
    subject text NOT NULL,
    sender character varying(300),
    sender_number character varying(120),
    received_via character varying(20),
    recipient character varying(300),
    letter_date date NOT NULL,
    classification character varying(20),
    category character varying(20),
    number character varying(120),
    disposition json,
    documents json NOT NULL,
    scan_file_id character varying(40),
    softcopy_file_id character varying(40),
    delivered_to text,
    notes text,
    created_by_id integer NOT NULL,
    unit_id integer,
    created_at timestamp with time zone NOT NULL,
    finished_at timestamp with time zone
);


--
-- Name: letter_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.letter_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: letter_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.letter_id_seq OWNED BY public.letter.id;


--
-- Name: notification; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.notification (
    id integer NOT NULL,
    idempotency_key character varying(200) NOT NULL,
    channel character varying(20) NOT NULL,
    recipient_id integer,
    address character varying(200),
    subject text NOT NULL,
    body text NOT NULL,
    link text,
    status character varying(20) NOT NULL,
    attempts integer NOT NULL,
    last_error text,
    created_at timestamp with time zone NOT NULL,
    sent_at timestamp with time zone,
    read_at timestamp with time zone
);


--
-- Name: notification_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.notification_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: notification_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.notification_id_seq OWNED BY public.notification.id;


--
-- Name: number_sequence; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.number_sequence (
    scope character varying(80) NOT NULL,
    year integer NOT NULL,
    last_value integer NOT NULL
);


--
-- Name: permit_application; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.permit_application (
    id integer NOT NULL,
    resi character varying(6) NOT NULL,
    applicant_id integer NOT NULL,
    agency_code character varying(40) NOT NULL,
    permit_type character varying(60) NOT NULL,
    request_kind character varying(20) NOT NULL,
    status character varying(20) NOT NULL,
    stage character varying(40) NOT NULL,
    workflow_id character varying(100) NOT NULL,
    client_key character varying(100),
    applicant_data json NOT NULL,
    company json,
    location json NOT NULL,
    details json NOT NULL,
    documents json NOT NULL,
    revision_round integer NOT NULL,
    revision_notes text,
    revision_due_at timestamp with time zone,
    decision_reason text,
    permit_number character varying(120),
    permit_document_id character varying(40),
    download_expires_at timestamp with time zone,
    downloaded_at timestamp with time zone,
    clock json NOT NULL,
    created_at timestamp with time zone NOT NULL,
    finished_at timestamp with time zone
);


--
-- Name: permit_application_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.permit_application_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: permit_application_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.permit_application_id_seq OWNED BY public.permit_application.id;


--
-- Name: permit_draft; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.permit_draft (
    id integer NOT NULL,
    applicant_id integer NOT NULL,
    step integer NOT NULL,
    data json NOT NULL,
    updated_at timestamp with time zone NOT NULL
);


--
-- Name: permit_draft_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.permit_draft_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: permit_draft_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.permit_draft_id_seq OWNED BY public.permit_draft.id;


--
-- Name: permit_revision; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.permit_revision (
    id integer NOT NULL,
    application_id integer NOT NULL,
    round integer NOT NULL,
    snapshot json NOT NULL,
    submitted_at timestamp with time zone NOT NULL
);


--
-- Name: permit_revision_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.permit_revision_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: permit_revision_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.permit_revision_id_seq OWNED BY public.permit_revision.id;


--
-- Name: process_run; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.process_run (
    workflow_id character varying(160) NOT NULL,
    run_id character varying(64) NOT NULL,
    process character varying(40) NOT NULL,
    workflow_type character varying(80) NOT NULL,
    business_key character varying(160) NOT NULL,
    status character varying(20) NOT NULL,
    started_at timestamp with time zone NOT NULL,
    closed_at timestamp with time zone,
    synced_at timestamp with time zone NOT NULL
);


--
-- Name: queue_ticket; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.queue_ticket (
    id integer NOT NULL,
    service_day date NOT NULL,
    group_code character varying(8) NOT NULL,
    sequence integer NOT NULL,
    number character varying(16) NOT NULL,
    status character varying(12) NOT NULL,
    counter_code character varying(8),
    called_at timestamp with time zone,
    called_by_id integer,
    recall_count integer NOT NULL,
    finished_at timestamp with time zone,
    visit_id integer,
    created_at timestamp with time zone NOT NULL
);


--
-- Name: queue_ticket_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.queue_ticket_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: queue_ticket_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.queue_ticket_id_seq OWNED BY public.queue_ticket.id;


--
-- Name: registry_callback; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.registry_callback (
    id integer NOT NULL,
    event_id character varying(120) NOT NULL,
    request_code character varying(12) NOT NULL,
    body json NOT NULL,
    status character varying(20) NOT NULL,
    created_at timestamp with time zone NOT NULL
);


--
-- Name: registry_callback_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.registry_callback_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: registry_callback_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.registry_callback_id_seq OWNED BY public.registry_callback.id;


--
-- Name: signing_authorization; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.signing_authorization (
    token_hash character varying(64) NOT NULL,
    signer_id integer NOT NULL,
    wrapped_key text NOT NULL,
    expires_at timestamp with time zone NOT NULL
);


--
-- Name: siramasakan_request; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.siramasakan_request (
    id integer NOT NULL,
    code character varying(12) NOT NULL,
    workflow_id character varying(100) NOT NULL,
    client_key character varying(100),
    applicant_id integer NOT NULL,
    case_number character varying(80) NOT NULL,
    kk_number character varying(16) NOT NULL,
    changes json NOT NULL,
    status character varying(30) NOT NULL,
    stage character varying(40) NOT NULL,
    decision_date date,
    decided_case_number character varying(80),
    handoff_path character varying(10),
    handed_off_at timestamp with time zone,
    registry_reference character varying(120),
    outcome character varying(20),
    outcome_reason text,
    documents_to_collect json NOT NULL,
    reminders_sent integer NOT NULL,
    created_at timestamp with time zone NOT NULL,
    finished_at timestamp with time zone
);


--
-- Name: siramasakan_request_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.siramasakan_request_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: siramasakan_request_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.siramasakan_request_id_seq OWNED BY public.siramasakan_request.id;


--
-- Name: stored_file; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.stored_file (
    id character varying(40) NOT NULL,
    owner_id integer NOT NULL,
    name character varying(200) NOT NULL,
    original_filename character varying(300) NOT NULL,
    media_type character varying(100) NOT NULL,
    extension character varying(10) NOT NULL,
    size integer NOT NULL,
    sha256 character varying(64) NOT NULL,
    created_at timestamp with time zone NOT NULL,
    deleted_at timestamp with time zone
);


--
-- Name: substitution; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.substitution (
    id integer NOT NULL,
    official_id integer NOT NULL,
    acting_id integer NOT NULL,
    start_date date NOT NULL,
    end_date date NOT NULL,
    reason text NOT NULL,
    source character varying(20) NOT NULL,
    leave_request_id integer,
    created_by_id integer,
    created_at timestamp with time zone NOT NULL,
    cancelled_at timestamp with time zone
);


--
-- Name: substitution_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.substitution_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: substitution_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.substitution_id_seq OWNED BY public.substitution.id;


--
-- Name: survey_response; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.survey_response (
    id integer NOT NULL,
    application_id integer NOT NULL,
    permit_type character varying(60) NOT NULL,
    answers json NOT NULL,
    ikm double precision NOT NULL,
    comment text,
    created_at timestamp with time zone NOT NULL
);


--
-- Name: survey_response_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.survey_response_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: survey_response_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.survey_response_id_seq OWNED BY public.survey_response.id;


--
-- Name: task; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.task (
    id character varying(160) NOT NULL,
    workflow_id character varying(100) NOT NULL,
    process character varying(40) NOT NULL,
    subject_id character varying(60) NOT NULL,
    title text NOT NULL,
    summary json NOT NULL,
    role character varying(60) NOT NULL,
    owner_id integer,
    delegate_id integer,
    claimed_by_id integer,
    status character varying(20) NOT NULL,
    outcomes json NOT NULL,
    form json NOT NULL,
    created_at timestamp with time zone NOT NULL,
    due_at timestamp with time zone,
    escalate_at timestamp with time zone,
    escalated_at timestamp with time zone,
    escalated_to_role character varying(60),
    reminded_at timestamp with time zone,
    completed_at timestamp with time zone,
    completed_by_id integer,
    acting_for_id integer,
    outcome character varying(40),
    reason text,
    data json NOT NULL
);


--
-- Name: throttle; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.throttle (
    key character varying(200) NOT NULL,
    failures integer NOT NULL,
    window_started_at timestamp with time zone NOT NULL,
    blocked_until timestamp with time zone
);


--
-- Name: unit; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.unit (
    id integer NOT NULL,
    code character varying(40) NOT NULL,
    name character varying(200) NOT NULL,
    parent_id integer
);


--
-- Name: unit_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.unit_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: unit_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.unit_id_seq OWNED BY public.unit.id;


--
-- Name: user_role; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.user_role (
    user_id integer NOT NULL,
    role character varying(60) NOT NULL
);


--
-- Name: walk_in_visit; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.walk_in_visit (
    id integer NOT NULL,
    code character varying(12) NOT NULL,
    workflow_id character varying(100) NOT NULL,
    client_key character varying(100),
    service_code character varying(60) NOT NULL,
    service_name character varying(200) NOT NULL,
    one_day boolean NOT NULL,
    visitor_name character varying(200) NOT NULL,
    visitor_phone character varying(20),
    visitor_nik character varying(16),
    queue_number character varying(16),
    registered_by_id integer NOT NULL,
    status character varying(30) NOT NULL,
    stage character varying(40) NOT NULL,
    receipt_number character varying(120),
    estimated_done_at timestamp with time zone,
    target_at timestamp with time zone,
    overrun_at timestamp with time zone,
    result_number character varying(120),
    documents json NOT NULL,
    rating integer,
    created_at timestamp with time zone NOT NULL,
    finished_at timestamp with time zone
);


--
-- Name: walk_in_visit_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.walk_in_visit_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: walk_in_visit_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.walk_in_visit_id_seq OWNED BY public.walk_in_visit.id;


--
-- Name: whatsapp_message; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.whatsapp_message (
    id integer NOT NULL,
    wa_message_id character varying(200),
    direction character varying(3) NOT NULL,
    phone character varying(20) NOT NULL,
    contact_name character varying(200),
    body text NOT NULL,
    status character varying(20) NOT NULL,
    notification_id integer,
    sent_by_id integer,
    raw json NOT NULL,
    created_at timestamp with time zone NOT NULL
);


--
-- Name: whatsapp_message_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.whatsapp_message_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: whatsapp_message_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.whatsapp_message_id_seq OWNED BY public.whatsapp_message.id;


--
-- Name: app_user id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.app_user ALTER COLUMN id SET DEFAULT nextval('public.app_user_id_seq'::regclass);


--
-- Name: chat_message id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.chat_message ALTER COLUMN id SET DEFAULT nextval('public.chat_message_id_seq'::regclass);


--
-- Name: complaint id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.complaint ALTER COLUMN id SET DEFAULT nextval('public.complaint_id_seq'::regclass);


--
-- Name: email_code id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.email_code ALTER COLUMN id SET DEFAULT nextval('public.email_code_id_seq'::regclass);


--
-- Name: issued_number id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.issued_number ALTER COLUMN id SET DEFAULT nextval('public.issued_number_id_seq'::regclass);


--
-- Name: leave_request id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.leave_request ALTER COLUMN id SET DEFAULT nextval('public.leave_request_id_seq'::regclass);


--
-- Name: letter id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.letter ALTER COLUMN id SET DEFAULT nextval('public.letter_id_seq'::regclass);


--
-- Name: notification id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.notification ALTER COLUMN id SET DEFAULT nextval('public.notification_id_seq'::regclass);


--
-- Name: permit_application id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.permit_application ALTER COLUMN id SET DEFAULT nextval('public.permit_application_id_seq'::regclass);


--
-- Name: permit_draft id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.permit_draft ALTER COLUMN id SET DEFAULT nextval('public.permit_draft_id_seq'::regclass);


--
-- Name: permit_revision id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.permit_revision ALTER COLUMN id SET DEFAULT nextval('public.permit_revision_id_seq'::regclass);


--
-- Name: queue_ticket id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.queue_ticket ALTER COLUMN id SET DEFAULT nextval('public.queue_ticket_id_seq'::regclass);


--
-- Name: registry_callback id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.registry_callback ALTER COLUMN id SET DEFAULT nextval('public.registry_callback_id_seq'::regclass);


--
-- Name: siramasakan_request id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.siramasakan_request ALTER COLUMN id SET DEFAULT nextval('public.siramasakan_request_id_seq'::regclass);


--
-- Name: substitution id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.substitution ALTER COLUMN id SET DEFAULT nextval('public.substitution_id_seq'::regclass);


--
-- Name: survey_response id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.survey_response ALTER COLUMN id SET DEFAULT nextval('public.survey_response_id_seq'::regclass);


--
-- Name: unit id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.unit ALTER COLUMN id SET DEFAULT nextval('public.unit_id_seq'::regclass);


--
-- Name: walk_in_visit id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.walk_in_visit ALTER COLUMN id SET DEFAULT nextval('public.walk_in_visit_id_seq'::regclass);


--
-- Name: whatsapp_message id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.whatsapp_message ALTER COLUMN id SET DEFAULT nextval('public.whatsapp_message_id_seq'::regclass);


--
-- Data for Name: app_user; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.app_user (id, username, full_name, nip, "position", email, phone, password_hash, unit_id, supervisor_id, is_active, kind, created_at) FROM stdin;
1	kepala1	Dr. H. Munir Hasan, S.H.I., M.H.	197203151998031002	Ketua Mahkamah Syar'iyah Lhokseumawe	kepala1@satupintu.local	\N	$argon2id$v=19$m=65536,t=3,p=4$CUh0GvB8PF/sl1h8lN9C8g$t2xAUjmS+VcwjKNKCvmTBbxEQjw6Aaq0IOSJ8qTPyBY	1	\N	t	staff	2026-12-07 17:51:58.928898+00
2	atasan1	Rahmawati, S.H., M.H.	198004122005022001	Kepala Subbagian Kepegawaian dan Ortala	atasan1@satupintu.local	\N	$argon2id$v=19$m=65536,t=3,p=4$CUh0GvB8PF/sl1h8lN9C8g$t2xAUjmS+VcwjKNKCvmTBbxEQjw6Aaq0IOSJ8qTPyBY	3	1	t	staff	2026-12-07 17:51:58.931715+00
3	atasan2	Teuku Iskandar, S.E.	198107082006041003	Kepala Subbagian Umum dan Keuangan	atasan2@satupintu.local	\N	$argon2id$v=19$m=65536,t=3,p=4$CUh0GvB8PF/sl1h8lN9C8g$t2xAUjmS+VcwjKNKCvmTBbxEQjw6Aaq0IOSJ8qTPyBY	4	1	t	staff	2026-12-07 17:51:58.933528+00
4	pegawai1	Muhammad Rizki, S.Kom.	199201102019031005	Pranata Komputer Ahli Pertama	pegawai1@satupintu.local	\N	$argon2id$v=19$m=65536,t=3,p=4$CUh0GvB8PF/sl1h8lN9C8g$t2xAUjmS+VcwjKNKCvmTBbxEQjw6Aaq0IOSJ8qTPyBY	3	2	t	staff	2026-12-07 17:51:58.93512+00
5	pegawai2	Nurul Aini, A.Md.	199508212020122004	Pengelola Kepegawaian	pegawai2@satupintu.local	\N	$argon2id$v=19$m=65536,t=3,p=4$CUh0GvB8PF/sl1h8lN9C8g$t2xAUjmS+VcwjKNKCvmTBbxEQjw6Aaq0IOSJ8qTPyBY	3	2	t	staff	2026-12-07 17:51:58.936406+00
6	penomoran1	Cut Meutia Sari, S.Sos.	199003052015032002	Pengelola Persuratan (Petugas Penomoran Surat)	penomoran1@satupintu.local	\N	$argon2id$v=19$m=65536,t=3,p=4$CUh0GvB8PF/sl1h8lN9C8g$t2xAUjmS+VcwjKNKCvmTBbxEQjw6Aaq0IOSJ8qTPyBY	4	3	t	staff	2026-12-07 17:51:58.937643+00
7	verifikator1	Fauzan Ramadhan, S.T.	198812142014031001	Verifikator Perizinan	verifikator1@satupintu.local	\N	$argon2id$v=19$m=65536,t=3,p=4$CUh0GvB8PF/sl1h8lN9C8g$t2xAUjmS+VcwjKNKCvmTBbxEQjw6Aaq0IOSJ8qTPyBY	4	3	t	staff	2026-12-07 17:51:58.94224+00
8	admin	Administrator SatuPintu	\N	Administrator Sistem	admin@satupintu.local	\N	$argon2id$v=19$m=65536,t=3,p=4$CUh0GvB8PF/sl1h8lN9C8g$t2xAUjmS+VcwjKNKCvmTBbxEQjw6Aaq0IOSJ8qTPyBY	2	\N	t	staff	2026-12-07 17:51:58.944112+00
9	tu1	Hj. Zulfikar Amri, S.Ag., M.Si.	197506102001121002	Kepala Bagian Tata Usaha	tu1@satupintu.local	\N	$argon2id$v=19$m=65536,t=3,p=4$CUh0GvB8PF/sl1h8lN9C8g$t2xAUjmS+VcwjKNKCvmTBbxEQjw6Aaq0IOSJ8qTPyBY	5	1	t	staff	2026-12-07 17:51:58.945396+00
10	supervisor1	Siti Hajar, S.H.	198306152009012004	Supervisor PTSP	supervisor1@satupintu.local	\N	$argon2id$v=19$m=65536,t=3,p=4$CUh0GvB8PF/sl1h8lN9C8g$t2xAUjmS+VcwjKNKCvmTBbxEQjw6Aaq0IOSJ8qTPyBY	6	9	t	staff	2026-12-07 17:51:58.946969+00
11	info1	Dewi Kartika, A.Md.	199704032022032001	Petugas Informasi PTSP	info1@satupintu.local	\N	$argon2id$v=19$m=65536,t=3,p=4$CUh0GvB8PF/sl1h8lN9C8g$t2xAUjmS+VcwjKNKCvmTBbxEQjw6Aaq0IOSJ8qTPyBY	6	10	t	staff	2026-12-07 17:51:58.94829+00
12	fo1	Rahmat Hidayat, S.Kom.	199410172019031003	Petugas Front Office PTSP	fo1@satupintu.local	\N	$argon2id$v=19$m=65536,t=3,p=4$CUh0GvB8PF/sl1h8lN9C8g$t2xAUjmS+VcwjKNKCvmTBbxEQjw6Aaq0IOSJ8qTPyBY	6	10	t	staff	2026-12-07 17:51:58.949975+00
13	bo1	Aulia Rahman, S.E.	199112202018011002	Petugas Back Office PTSP	bo1@satupintu.local	\N	$argon2id$v=19$m=65536,t=3,p=4$CUh0GvB8PF/sl1h8lN9C8g$t2xAUjmS+VcwjKNKCvmTBbxEQjw6Aaq0IOSJ8qTPyBY	6	10	t	staff	2026-12-07 17:51:58.951224+00
14	unitkerja1	Drs. Hasballah, M.Pd.	197108151997031003	Kepala Seksi Bimbingan Masyarakat Islam	unitkerja1@satupintu.local	\N	$argon2id$v=19$m=65536,t=3,p=4$CUh0GvB8PF/sl1h8lN9C8g$t2xAUjmS+VcwjKNKCvmTBbxEQjw6Aaq0IOSJ8qTPyBY	8	1	t	staff	2026-12-07 17:51:58.952763+00
15	arsiparis1	Nadia Safitri, A.Md.	199609092021122002	Arsiparis Terampil	arsiparis1@satupintu.local	\N	$argon2id$v=19$m=65536,t=3,p=4$CUh0GvB8PF/sl1h8lN9C8g$t2xAUjmS+VcwjKNKCvmTBbxEQjw6Aaq0IOSJ8qTPyBY	5	9	t	staff	2026-12-07 17:51:58.956616+00
16	caraka1	Samsul Bahri	\N	Caraka	caraka1@satupintu.local	\N	$argon2id$v=19$m=65536,t=3,p=4$CUh0GvB8PF/sl1h8lN9C8g$t2xAUjmS+VcwjKNKCvmTBbxEQjw6Aaq0IOSJ8qTPyBY	5	9	t	staff	2026-12-07 17:51:58.957912+00
17	pimpinan1	Drs. H. Abdul Hamid, M.H.	196905121994031004	Wakil Ketua Mahkamah Syar'iyah Lhokseumawe	pimpinan1@satupintu.local	\N	$argon2id$v=19$m=65536,t=3,p=4$CUh0GvB8PF/sl1h8lN9C8g$t2xAUjmS+VcwjKNKCvmTBbxEQjw6Aaq0IOSJ8qTPyBY	1	\N	t	staff	2026-12-07 17:51:58.959169+00
18	panitera1	Zainal Abidin, S.H.	197808202003121002	Panitera Muda Hukum	panitera1@satupintu.local	\N	$argon2id$v=19$m=65536,t=3,p=4$CUh0GvB8PF/sl1h8lN9C8g$t2xAUjmS+VcwjKNKCvmTBbxEQjw6Aaq0IOSJ8qTPyBY	10	17	t	staff	2026-12-07 17:51:58.960442+00
19	dukcapil1	Rosmawati, S.Sos.	198502142010012003	Petugas Pencatatan Sipil (Disdukcapil Kota Lhokseumawe)	dukcapil1@satupintu.local	\N	$argon2id$v=19$m=65536,t=3,p=4$CUh0GvB8PF/sl1h8lN9C8g$t2xAUjmS+VcwjKNKCvmTBbxEQjw6Aaq0IOSJ8qTPyBY	12	\N	t	staff	2026-12-07 17:51:58.961933+00
20	kasi1	Ir. Mukhlis, M.Si.	197511112002121001	Kepala Seksi Pelayanan	kasi1@satupintu.local	\N	$argon2id$v=19$m=65536,t=3,p=4$CUh0GvB8PF/sl1h8lN9C8g$t2xAUjmS+VcwjKNKCvmTBbxEQjw6Aaq0IOSJ8qTPyBY	11	17	t	staff	2026-12-07 17:51:58.963186+00
21	pengaduan1	Yuliana Putri, S.Kom.	199307072019032004	Admin Pengaduan	pengaduan1@satupintu.local	\N	$argon2id$v=19$m=65536,t=3,p=4$CUh0GvB8PF/sl1h8lN9C8g$t2xAUjmS+VcwjKNKCvmTBbxEQjw6Aaq0IOSJ8qTPyBY	11	20	t	staff	2026-12-07 17:51:58.964456+00
22	pemilik1	Irwan Saputra, S.T., M.M.	198004042006041002	Kepala Subbagian Perencanaan, TI dan Pelaporan (Pemilik Proses)	pemilik1@satupintu.local	\N	$argon2id$v=19$m=65536,t=3,p=4$CUh0GvB8PF/sl1h8lN9C8g$t2xAUjmS+VcwjKNKCvmTBbxEQjw6Aaq0IOSJ8qTPyBY	2	1	t	staff	2026-12-07 17:51:58.968144+00
23	auditor1	Drs. Bachtiar Yusuf, Ak.	197002021996031001	Auditor Inspektorat	auditor1@satupintu.local	\N	$argon2id$v=19$m=65536,t=3,p=4$CUh0GvB8PF/sl1h8lN9C8g$t2xAUjmS+VcwjKNKCvmTBbxEQjw6Aaq0IOSJ8qTPyBY	2	\N	t	staff	2026-12-07 17:51:58.969437+00
24	3374010101900001	Budi Santoso	\N	\N	pemohon1@satupintu.local	6281234567890	$argon2id$v=19$m=65536,t=3,p=4$CUh0GvB8PF/sl1h8lN9C8g$t2xAUjmS+VcwjKNKCvmTBbxEQjw6Aaq0IOSJ8qTPyBY	\N	\N	t	applicant	2026-12-07 17:51:58.971319+00
25	rilis-0091149-app_user-username	rilis-0091149-app_user-full_name	rilis-0091149-app_user-nip	rilis-0091149-app_user-position	rilis-0091149-app_user-email	rilis-0091149-app_user-phone	rilis-0091149-app_user-password_hash	1	1	t	091149-app_user-kind	2026-11-02 09:30:00+00
\.


--
-- Data for Name: applicant_profile; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.applicant_profile (user_id, nik, npwp, gender, birth_date, education, address, province_code, regency_code, district_code, village_code, postal_code) FROM stdin;
24	3374010101900001	\N	L	1990-01-01	S1	Jl. Pemuda No. 148, RT 02/RW 01	33	33.74	33.74.01	33.74.01.1007	50132
1	cant_profile-nik	plicant_profile-npwp	r	2026-11-02	ilis-0091149-applicant_profile-education	rilis-0091149-applicant_profile-address	rofile-province_code	profile-regency_code	rofile-district_code	profile-village_code	_code
\.


--
-- Data for Name: case_event; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.case_event (id, workflow_id, process, subject_id, occurred_at, kind, title, actor_id, actor_name, role, outcome, reason, detail) FROM stdin;
rilis-0091149-case_event-id	rilis-0091149-case_event-workflow_id	rilis-0091149-case_event-process	rilis-0091149-case_event-subject_id	2026-11-02 09:30:00+00	rilis-0091149-case_event-kind	rilis-0091149-case_event-title	1	rilis-0091149-case_event-actor_name	rilis-0091149-case_event-role	rilis-0091149-case_event-outcome	rilis-0091149-case_event-reason	{"rilis": "0091149", "angka": 1, "daftar": ["a", "b"]}
\.


--
-- Data for Name: chat_message; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.chat_message (id, application_id, sender_id, body, file_id, created_at) FROM stdin;
1	1	1	rilis-0091149-chat_message-body	rilis-0091149-stored_file-id	2026-11-02 09:30:00+00
\.


--
-- Data for Name: complaint; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.complaint (id, tracking_number, workflow_id, client_key, channel, category, title, content, nik, phone, email, incident_date, applicant_id, application_id, photos, stage, status, letter_number, letter_document_id, unit_id, officer_id, response, rejection_reason, escalations, stage_due_at, created_at, responded_at, finished_at) FROM stdin;
1	aint-tracking_number	rilis-0091149-complaint-workflow_id	rilis-0091149-complaint-client_key	49-complaint-channel	rilis-0091149-complaint-category	rilis-0091149-complaint-title	rilis-0091149-complaint-content	49-complaint-nik	1149-complaint-phone	rilis-0091149-complaint-email	2026-11-02	1	1	{"rilis": "0091149", "angka": 1, "daftar": ["a", "b"]}	1149-complaint-stage	rilis-0091149-complaint-status	rilis-0091149-complaint-letter_number	rilis-0091149-document-id	1	1	rilis-0091149-complaint-response	rilis-0091149-complaint-rejection_reason	7	2026-11-02 09:30:00+00	2026-11-02 09:30:00+00	2026-11-02 09:30:00+00	2026-11-02 09:30:00+00
\.


--
-- Data for Name: document; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.document (id, idempotency_key, kind, workflow_id, title, number, file_name, sha256, signed_by, owner_id, summary, created_at) FROM stdin;
rilis-0091149-document-id	rilis-0091149-document-idempotency_key	rilis-0091149-document-kind	rilis-0091149-document-workflow_id	rilis-0091149-document-title	rilis-0091149-document-number	rilis-0091149-document-file_name	rilis-0091149-document-sha256	rilis-0091149-document-signed_by	1	{"rilis": "0091149", "angka": 1, "daftar": ["a", "b"]}	2026-11-02 09:30:00+00
\.


--
-- Data for Name: email_code; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.email_code (id, email, purpose, code_hash, user_id, attempts, created_at, expires_at, used_at) FROM stdin;
1	rilis-0091149-email_code-email	9-email_code-purpose	rilis-0091149-email_code-code_hash	1	7	2026-11-02 09:30:00+00	2026-11-02 09:30:00+00	2026-11-02 09:30:00+00
\.


--
-- Data for Name: issued_number; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.issued_number (id, idempotency_key, scope, year, sequence, number, subject, issued_at) FROM stdin;
1	rilis-0091149-issued_number-idempotency_key	rilis-0091149-issued_number-scope	7	7	rilis-0091149-issued_number-number	rilis-0091149-issued_number-subject	2026-11-02 09:30:00+00
\.


--
-- Data for Name: leave_request; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.leave_request (id, employee_id, leave_type, start_date, end_date, working_days, reason, address_during_leave, substitute_id, status, workflow_id, client_key, letter_number, document_id, decision_reason, created_at, finished_at) FROM stdin;
1	1	rilis-0091149-leave_request-leave_type	2026-11-02	2026-11-02	7	rilis-0091149-leave_request-reason	rilis-0091149-leave_request-address_during_leave	1	s-0091149-leave_request-status	rilis-0091149-leave_request-workflow_id	rilis-0091149-leave_request-client_key	rilis-0091149-leave_request-letter_number	rilis-0091149-document-id	rilis-0091149-leave_request-decision_reason	2026-11-02 09:30:00+00	2026-11-02 09:30:00+00
\.


--
-- Data for Name: letter; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.letter (id, code, direction, workflow_id, client_key, status, stage, subject, sender, sender_number, received_via, recipient, letter_date, classification, category, number, disposition, documents, scan_file_id, softcopy_file_id, delivered_to, notes, created_by_id, unit_id, created_at, finished_at) FROM stdin;
1	-letter-code	-direction	rilis-0091149-letter-workflow_id	rilis-0091149-letter-client_key	rilis-0091149-letter-status	rilis-0091149-letter-stage	rilis-0091149-letter-subject	rilis-0091149-letter-sender	rilis-0091149-letter-sender_number	-letter-received_via	rilis-0091149-letter-recipient	2026-11-02	etter-classification	1149-letter-category	rilis-0091149-letter-number	{"rilis": "0091149", "angka": 1, "daftar": ["a", "b"]}	{"rilis": "0091149", "angka": 1, "daftar": ["a", "b"]}	rilis-0091149-stored_file-id	rilis-0091149-stored_file-id	rilis-0091149-letter-delivered_to	rilis-0091149-letter-notes	1	1	2026-11-02 09:30:00+00	2026-11-02 09:30:00+00
\.


--
-- Data for Name: notification; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.notification (id, idempotency_key, channel, recipient_id, address, subject, body, link, status, attempts, last_error, created_at, sent_at, read_at) FROM stdin;
1	rilis-0091149-notification-idempotency_key	notification-channel	1	rilis-0091149-notification-address	rilis-0091149-notification-subject	rilis-0091149-notification-body	rilis-0091149-notification-link	-notification-status	7	rilis-0091149-notification-last_error	2026-11-02 09:30:00+00	2026-11-02 09:30:00+00	2026-11-02 09:30:00+00
\.


--
-- Data for Name: number_sequence; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.number_sequence (scope, year, last_value) FROM stdin;
rilis-0091149-number_sequence-scope	7	7
\.


--
-- Data for Name: permit_application; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.permit_application (id, resi, applicant_id, agency_code, permit_type, request_kind, status, stage, workflow_id, client_key, applicant_data, company, location, details, documents, revision_round, revision_notes, revision_due_at, decision_reason, permit_number, permit_document_id, download_expires_at, downloaded_at, clock, created_at, finished_at) FROM stdin;
1	n-resi	1	s-0091149-permit_application-agency_code	rilis-0091149-permit_application-permit_type	ication-request_kind	t_application-status	rilis-0091149-permit_application-stage	rilis-0091149-permit_application-workflow_id	rilis-0091149-permit_application-client_key	{"rilis": "0091149", "angka": 1, "daftar": ["a", "b"]}	{"rilis": "0091149", "angka": 1, "daftar": ["a", "b"]}	{"rilis": "0091149", "angka": 1, "daftar": ["a", "b"]}	{"rilis": "0091149", "angka": 1, "daftar": ["a", "b"]}	{"rilis": "0091149", "angka": 1, "daftar": ["a", "b"]}	7	rilis-0091149-permit_application-revision_notes	2026-11-02 09:30:00+00	rilis-0091149-permit_application-decision_reason	rilis-0091149-permit_application-permit_number	rilis-0091149-document-id	2026-11-02 09:30:00+00	2026-11-02 09:30:00+00	{"rilis": "0091149", "angka": 1, "daftar": ["a", "b"]}	2026-11-02 09:30:00+00	2026-11-02 09:30:00+00
\.


--
-- Data for Name: permit_draft; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.permit_draft (id, applicant_id, step, data, updated_at) FROM stdin;
1	1	7	{"rilis": "0091149", "angka": 1, "daftar": ["a", "b"]}	2026-11-02 09:30:00+00
\.


--
-- Data for Name: permit_revision; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.permit_revision (id, application_id, round, snapshot, submitted_at) FROM stdin;
1	1	7	{"rilis": "0091149", "angka": 1, "daftar": ["a", "b"]}	2026-11-02 09:30:00+00
\.


--
-- Data for Name: process_run; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.process_run (workflow_id, run_id, process, workflow_type, business_key, status, started_at, closed_at, synced_at) FROM stdin;
rilis-0091149-process_run-workflow_id	rilis-0091149-process_run-run_id	rilis-0091149-process_run-process	rilis-0091149-process_run-workflow_type	rilis-0091149-process_run-business_key	9-process_run-status	2026-11-02 09:30:00+00	2026-11-02 09:30:00+00	2026-11-02 09:30:00+00
\.


--
-- Data for Name: queue_ticket; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.queue_ticket (id, service_day, group_code, sequence, number, status, counter_code, called_at, called_by_id, recall_count, finished_at, visit_id, created_at) FROM stdin;
1	2026-11-02	oup_code	7	ue_ticket-number	icket-status	ter_code	2026-11-02 09:30:00+00	1	7	2026-11-02 09:30:00+00	1	2026-11-02 09:30:00+00
\.


--
-- Data for Name: registry_callback; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.registry_callback (id, event_id, request_code, body, status, created_at) FROM stdin;
1	rilis-0091149-registry_callback-event_id	request_code	{"rilis": "0091149", "angka": 1, "daftar": ["a", "b"]}	stry_callback-status	2026-11-02 09:30:00+00
\.


--
-- Data for Name: signing_authorization; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.signing_authorization (token_hash, signer_id, wrapped_key, expires_at) FROM stdin;
rilis-0091149-signing_authorization-token_hash	1	rilis-0091149-signing_authorization-wrapped_key	2026-11-02 09:30:00+00
\.


--
-- Data for Name: siramasakan_request; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.siramasakan_request (id, code, workflow_id, client_key, applicant_id, case_number, kk_number, changes, status, stage, decision_date, decided_case_number, handoff_path, handed_off_at, registry_reference, outcome, outcome_reason, documents_to_collect, reminders_sent, created_at, finished_at) FROM stdin;
1	request-code	rilis-0091149-siramasakan_request-workflow_id	rilis-0091149-siramasakan_request-client_key	1	rilis-0091149-siramasakan_request-case_number	equest-kk_number	{"rilis": "0091149", "angka": 1, "daftar": ["a", "b"]}	149-siramasakan_request-status	rilis-0091149-siramasakan_request-stage	2026-11-02	rilis-0091149-siramasakan_request-decided_case_number	ndoff_path	2026-11-02 09:30:00+00	rilis-0091149-siramasakan_request-registry_reference	akan_request-outcome	rilis-0091149-siramasakan_request-outcome_reason	{"rilis": "0091149", "angka": 1, "daftar": ["a", "b"]}	7	2026-11-02 09:30:00+00	2026-11-02 09:30:00+00
\.


--
-- Data for Name: stored_file; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.stored_file (id, owner_id, name, original_filename, media_type, extension, size, sha256, created_at, deleted_at) FROM stdin;
rilis-0091149-stored_file-id	1	rilis-0091149-stored_file-name	rilis-0091149-stored_file-original_filename	rilis-0091149-stored_file-media_type	-extension	7	rilis-0091149-stored_file-sha256	2026-11-02 09:30:00+00	2026-11-02 09:30:00+00
\.


--
-- Data for Name: substitution; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.substitution (id, official_id, acting_id, start_date, end_date, reason, source, leave_request_id, created_by_id, created_at, cancelled_at) FROM stdin;
1	1	1	2026-11-02	2026-11-02	rilis-0091149-substitution-reason	-substitution-source	1	1	2026-11-02 09:30:00+00	2026-11-02 09:30:00+00
\.


--
-- Data for Name: survey_response; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.survey_response (id, application_id, permit_type, answers, ikm, comment, created_at) FROM stdin;
1	1	rilis-0091149-survey_response-permit_type	{"rilis": "0091149", "angka": 1, "daftar": ["a", "b"]}	7.5	rilis-0091149-survey_response-comment	2026-11-02 09:30:00+00
\.


--
-- Data for Name: task; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.task (id, workflow_id, process, subject_id, title, summary, role, owner_id, delegate_id, claimed_by_id, status, outcomes, form, created_at, due_at, escalate_at, escalated_at, escalated_to_role, reminded_at, completed_at, completed_by_id, acting_for_id, outcome, reason, data) FROM stdin;
rilis-0091149-task-id	rilis-0091149-task-workflow_id	rilis-0091149-task-process	rilis-0091149-task-subject_id	rilis-0091149-task-title	{"rilis": "0091149", "angka": 1, "daftar": ["a", "b"]}	rilis-0091149-task-role	1	1	1	-0091149-task-status	{"rilis": "0091149", "angka": 1, "daftar": ["a", "b"]}	{"rilis": "0091149", "angka": 1, "daftar": ["a", "b"]}	2026-11-02 09:30:00+00	2026-11-02 09:30:00+00	2026-11-02 09:30:00+00	2026-11-02 09:30:00+00	rilis-0091149-task-escalated_to_role	2026-11-02 09:30:00+00	2026-11-02 09:30:00+00	1	1	rilis-0091149-task-outcome	rilis-0091149-task-reason	{"rilis": "0091149", "angka": 1, "daftar": ["a", "b"]}
\.


--
-- Data for Name: throttle; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.throttle (key, failures, window_started_at, blocked_until) FROM stdin;
rilis-0091149-throttle-key	7	2026-11-02 09:30:00+00	2026-11-02 09:30:00+00
\.


--
-- Data for Name: unit; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.unit (id, code, name, parent_id) FROM stdin;
1	MS-LSM	Mahkamah Syar'iyah Lhokseumawe	\N
2	SEKRE	Kesekretariatan	1
3	KEPEG	Subbagian Kepegawaian dan Ortala	2
4	UMUM	Subbagian Umum dan Keuangan	2
5	TU	Bagian Tata Usaha	1
6	PTSP	Pelayanan Terpadu Satu Pintu	5
7	PENMAD	Seksi Pendidikan Madrasah	1
8	BIMAS	Seksi Bimbingan Masyarakat Islam	1
9	PHU	Seksi Penyelenggaraan Haji dan Umrah	1
10	KEPANITERAAN	Kepaniteraan	1
11	PELAYANAN	Seksi Pelayanan	1
12	DUKCAPIL	Dinas Kependudukan dan Pencatatan Sipil Kota Lhokseumawe (mitra)	\N
13	rilis-0091149-unit-code	rilis-0091149-unit-name	1
\.


--
-- Data for Name: user_role; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.user_role (user_id, role) FROM stdin;
1	kepala_kantor
1	atasan
1	penandatangan
2	atasan
3	atasan
3	kepala_subbag_umum
4	pegawai
5	pegawai
6	pegawai
6	penomoran
7	pegawai
7	verifikator
8	admin
9	atasan
9	tata_usaha
10	pegawai
10	atasan
10	supervisor
11	pegawai
11	petugas_informasi
12	pegawai
12	front_office
12	petugas_informasi
13	pegawai
13	back_office
14	pegawai
14	atasan
14	unit_kerja
15	pegawai
15	arsiparis
16	pegawai
16	caraka
17	kepala_kantor
17	atasan
18	pegawai
18	panitera
19	dukcapil
20	pegawai
20	atasan
20	kepala_seksi
21	pegawai
21	pengaduan_admin
22	pegawai
22	pemilik_proses
23	auditor
24	pemohon
1	rilis-0091149-user_role-role
\.


--
-- Data for Name: walk_in_visit; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.walk_in_visit (id, code, workflow_id, client_key, service_code, service_name, one_day, visitor_name, visitor_phone, visitor_nik, queue_number, registered_by_id, status, stage, receipt_number, estimated_done_at, target_at, overrun_at, result_number, documents, rating, created_at, finished_at) FROM stdin;
1	n_visit-code	rilis-0091149-walk_in_visit-workflow_id	rilis-0091149-walk_in_visit-client_key	rilis-0091149-walk_in_visit-service_code	rilis-0091149-walk_in_visit-service_name	t	rilis-0091149-walk_in_visit-visitor_name	_visit-visitor_phone	isit-visitor_nik	sit-queue_number	1	s-0091149-walk_in_visit-status	rilis-0091149-walk_in_visit-stage	rilis-0091149-walk_in_visit-receipt_number	2026-11-02 09:30:00+00	2026-11-02 09:30:00+00	2026-11-02 09:30:00+00	rilis-0091149-walk_in_visit-result_number	{"rilis": "0091149", "angka": 1, "daftar": ["a", "b"]}	7	2026-11-02 09:30:00+00	2026-11-02 09:30:00+00
\.


--
-- Data for Name: whatsapp_message; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.whatsapp_message (id, wa_message_id, direction, phone, contact_name, body, status, notification_id, sent_by_id, raw, created_at) FROM stdin;
1	rilis-0091149-whatsapp_message-wa_message_id	ion	atsapp_message-phone	rilis-0091149-whatsapp_message-contact_name	rilis-0091149-whatsapp_message-body	tsapp_message-status	1	1	{"rilis": "0091149", "angka": 1, "daftar": ["a", "b"]}	2026-11-02 09:30:00+00
\.


--
-- Name: app_user_id_seq; Type: SEQUENCE SET; Schema: public; Owner: -
--

SELECT pg_catalog.setval('public.app_user_id_seq', 25, true);


--
-- Name: chat_message_id_seq; Type: SEQUENCE SET; Schema: public; Owner: -
--

SELECT pg_catalog.setval('public.chat_message_id_seq', 1, true);


--
-- Name: complaint_id_seq; Type: SEQUENCE SET; Schema: public; Owner: -
--

SELECT pg_catalog.setval('public.complaint_id_seq', 1, true);


--
-- Name: email_code_id_seq; Type: SEQUENCE SET; Schema: public; Owner: -
--

SELECT pg_catalog.setval('public.email_code_id_seq', 1, true);


--
-- Name: issued_number_id_seq; Type: SEQUENCE SET; Schema: public; Owner: -
--

SELECT pg_catalog.setval('public.issued_number_id_seq', 1, true);


--
-- Name: leave_request_id_seq; Type: SEQUENCE SET; Schema: public; Owner: -
--

SELECT pg_catalog.setval('public.leave_request_id_seq', 1, true);


--
-- Name: letter_id_seq; Type: SEQUENCE SET; Schema: public; Owner: -
--

SELECT pg_catalog.setval('public.letter_id_seq', 1, true);


--
-- Name: notification_id_seq; Type: SEQUENCE SET; Schema: public; Owner: -
--

SELECT pg_catalog.setval('public.notification_id_seq', 1, true);


--
-- Name: permit_application_id_seq; Type: SEQUENCE SET; Schema: public; Owner: -
--

SELECT pg_catalog.setval('public.permit_application_id_seq', 1, true);


--
-- Name: permit_draft_id_seq; Type: SEQUENCE SET; Schema: public; Owner: -
--

SELECT pg_catalog.setval('public.permit_draft_id_seq', 1, true);


--
-- Name: permit_revision_id_seq; Type: SEQUENCE SET; Schema: public; Owner: -
--

SELECT pg_catalog.setval('public.permit_revision_id_seq', 1, true);


--
-- Name: queue_ticket_id_seq; Type: SEQUENCE SET; Schema: public; Owner: -
--

SELECT pg_catalog.setval('public.queue_ticket_id_seq', 1, true);


--
-- Name: registry_callback_id_seq; Type: SEQUENCE SET; Schema: public; Owner: -
--

SELECT pg_catalog.setval('public.registry_callback_id_seq', 1, true);


--
-- Name: siramasakan_request_id_seq; Type: SEQUENCE SET; Schema: public; Owner: -
--

SELECT pg_catalog.setval('public.siramasakan_request_id_seq', 1, true);


--
-- Name: substitution_id_seq; Type: SEQUENCE SET; Schema: public; Owner: -
--

SELECT pg_catalog.setval('public.substitution_id_seq', 1, true);


--
-- Name: survey_response_id_seq; Type: SEQUENCE SET; Schema: public; Owner: -
--

SELECT pg_catalog.setval('public.survey_response_id_seq', 1, true);


--
-- Name: unit_id_seq; Type: SEQUENCE SET; Schema: public; Owner: -
--

SELECT pg_catalog.setval('public.unit_id_seq', 13, true);


--
-- Name: walk_in_visit_id_seq; Type: SEQUENCE SET; Schema: public; Owner: -
--

SELECT pg_catalog.setval('public.walk_in_visit_id_seq', 1, true);


--
-- Name: whatsapp_message_id_seq; Type: SEQUENCE SET; Schema: public; Owner: -
--

SELECT pg_catalog.setval('public.whatsapp_message_id_seq', 1, true);


--
-- Name: app_user app_user_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.app_user
    ADD CONSTRAINT app_user_pkey PRIMARY KEY (id);


--
-- Name: app_user app_user_username_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.app_user
    ADD CONSTRAINT app_user_username_key UNIQUE (username);


--
-- Name: applicant_profile applicant_profile_nik_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.applicant_profile
    ADD CONSTRAINT applicant_profile_nik_key UNIQUE (nik);


--
-- Name: applicant_profile applicant_profile_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.applicant_profile
    ADD CONSTRAINT applicant_profile_pkey PRIMARY KEY (user_id);


--
-- Name: case_event case_event_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.case_event
    ADD CONSTRAINT case_event_pkey PRIMARY KEY (id);


--
-- Name: chat_message chat_message_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.chat_message
    ADD CONSTRAINT chat_message_pkey PRIMARY KEY (id);


--
-- Name: complaint complaint_client_key_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.complaint
    ADD CONSTRAINT complaint_client_key_key UNIQUE (client_key);


--
-- Name: complaint complaint_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.complaint
    ADD CONSTRAINT complaint_pkey PRIMARY KEY (id);


--
-- Name: complaint complaint_tracking_number_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.complaint
    ADD CONSTRAINT complaint_tracking_number_key UNIQUE (tracking_number);


--
-- Name: complaint complaint_workflow_id_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.complaint
    ADD CONSTRAINT complaint_workflow_id_key UNIQUE (workflow_id);


--
-- Name: document document_idempotency_key_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.document
    ADD CONSTRAINT document_idempotency_key_key UNIQUE (idempotency_key);


--
-- Name: document document_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.document
    ADD CONSTRAINT document_pkey PRIMARY KEY (id);


--
-- Name: email_code email_code_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.email_code
    ADD CONSTRAINT email_code_pkey PRIMARY KEY (id);


--
-- Name: issued_number issued_number_idempotency_key_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.issued_number
    ADD CONSTRAINT issued_number_idempotency_key_key UNIQUE (idempotency_key);


--
-- Name: issued_number issued_number_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.issued_number
    ADD CONSTRAINT issued_number_pkey PRIMARY KEY (id);


--
-- Name: issued_number issued_number_scope_year_sequence_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.issued_number
    ADD CONSTRAINT issued_number_scope_year_sequence_key UNIQUE (scope, year, sequence);


--
-- Name: leave_request leave_request_client_key_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.leave_request
    ADD CONSTRAINT leave_request_client_key_key UNIQUE (client_key);


--
-- Name: leave_request leave_request_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.leave_request
    ADD CONSTRAINT leave_request_pkey PRIMARY KEY (id);


--
-- Name: leave_request leave_request_workflow_id_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.leave_request
    ADD CONSTRAINT leave_request_workflow_id_key UNIQUE (workflow_id);


--
-- Name: letter letter_client_key_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.letter
    ADD CONSTRAINT letter_client_key_key UNIQUE (client_key);


--
-- Name: letter letter_code_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.letter
    ADD CONSTRAINT letter_code_key UNIQUE (code);


--
-- Name: letter letter_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.letter
    ADD CONSTRAINT letter_pkey PRIMARY KEY (id);


--
-- Name: letter letter_workflow_id_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.letter
    ADD CONSTRAINT letter_workflow_id_key UNIQUE (workflow_id);


--
-- Name: notification notification_idempotency_key_channel_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.notification
    ADD CONSTRAINT notification_idempotency_key_channel_key UNIQUE (idempotency_key, channel);


--
-- Name: notification notification_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.notification
    ADD CONSTRAINT notification_pkey PRIMARY KEY (id);


--
-- Name: number_sequence number_sequence_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.number_sequence
    ADD CONSTRAINT number_sequence_pkey PRIMARY KEY (scope, year);


--
-- Name: permit_application permit_application_client_key_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.permit_application
    ADD CONSTRAINT permit_application_client_key_key UNIQUE (client_key);


--
-- Name: permit_application permit_application_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.permit_application
    ADD CONSTRAINT permit_application_pkey PRIMARY KEY (id);


--
-- Name: permit_application permit_application_resi_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.permit_application
    ADD CONSTRAINT permit_application_resi_key UNIQUE (resi);


--
-- Name: permit_application permit_application_workflow_id_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.permit_application
    ADD CONSTRAINT permit_application_workflow_id_key UNIQUE (workflow_id);


--
-- Name: permit_draft permit_draft_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.permit_draft
    ADD CONSTRAINT permit_draft_pkey PRIMARY KEY (id);


--
-- Name: permit_revision permit_revision_application_id_round_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.permit_revision
    ADD CONSTRAINT permit_revision_application_id_round_key UNIQUE (application_id, round);


--
-- Name: permit_revision permit_revision_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.permit_revision
    ADD CONSTRAINT permit_revision_pkey PRIMARY KEY (id);


--
-- Name: process_run process_run_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.process_run
    ADD CONSTRAINT process_run_pkey PRIMARY KEY (workflow_id);


--
-- Name: queue_ticket queue_ticket_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.queue_ticket
    ADD CONSTRAINT queue_ticket_pkey PRIMARY KEY (id);


--
-- Name: registry_callback registry_callback_event_id_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.registry_callback
    ADD CONSTRAINT registry_callback_event_id_key UNIQUE (event_id);


--
-- Name: registry_callback registry_callback_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.registry_callback
    ADD CONSTRAINT registry_callback_pkey PRIMARY KEY (id);


--
-- Name: signing_authorization signing_authorization_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.signing_authorization
    ADD CONSTRAINT signing_authorization_pkey PRIMARY KEY (token_hash);


--
-- Name: siramasakan_request siramasakan_request_client_key_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.siramasakan_request
    ADD CONSTRAINT siramasakan_request_client_key_key UNIQUE (client_key);


--
-- Name: siramasakan_request siramasakan_request_code_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.siramasakan_request
    ADD CONSTRAINT siramasakan_request_code_key UNIQUE (code);


--
-- Name: siramasakan_request siramasakan_request_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.siramasakan_request
    ADD CONSTRAINT siramasakan_request_pkey PRIMARY KEY (id);


--
-- Name: siramasakan_request siramasakan_request_workflow_id_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.siramasakan_request
    ADD CONSTRAINT siramasakan_request_workflow_id_key UNIQUE (workflow_id);


--
-- Name: stored_file stored_file_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.stored_file
    ADD CONSTRAINT stored_file_pkey PRIMARY KEY (id);


--
-- Name: substitution substitution_leave_request_id_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.substitution
    ADD CONSTRAINT substitution_leave_request_id_key UNIQUE (leave_request_id);


--
-- Name: substitution substitution_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.substitution
    ADD CONSTRAINT substitution_pkey PRIMARY KEY (id);


--
-- Name: survey_response survey_response_application_id_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.survey_response
    ADD CONSTRAINT survey_response_application_id_key UNIQUE (application_id);


--
-- Name: survey_response survey_response_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.survey_response
    ADD CONSTRAINT survey_response_pkey PRIMARY KEY (id);


--
-- Name: task task_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.task
    ADD CONSTRAINT task_pkey PRIMARY KEY (id);


--
-- Name: throttle throttle_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.throttle
    ADD CONSTRAINT throttle_pkey PRIMARY KEY (key);


--
-- Name: unit unit_code_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.unit
    ADD CONSTRAINT unit_code_key UNIQUE (code);


--
-- Name: unit unit_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.unit
    ADD CONSTRAINT unit_pkey PRIMARY KEY (id);


--
-- Name: queue_ticket uq_queue_ticket_day_group_seq; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.queue_ticket
    ADD CONSTRAINT uq_queue_ticket_day_group_seq UNIQUE (service_day, group_code, sequence);


--
-- Name: user_role user_role_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.user_role
    ADD CONSTRAINT user_role_pkey PRIMARY KEY (user_id, role);


--
-- Name: walk_in_visit walk_in_visit_client_key_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.walk_in_visit
    ADD CONSTRAINT walk_in_visit_client_key_key UNIQUE (client_key);


--
-- Name: walk_in_visit walk_in_visit_code_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.walk_in_visit
    ADD CONSTRAINT walk_in_visit_code_key UNIQUE (code);


--
-- Name: walk_in_visit walk_in_visit_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.walk_in_visit
    ADD CONSTRAINT walk_in_visit_pkey PRIMARY KEY (id);


--
-- Name: walk_in_visit walk_in_visit_workflow_id_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.walk_in_visit
    ADD CONSTRAINT walk_in_visit_workflow_id_key UNIQUE (workflow_id);


--
-- Name: whatsapp_message whatsapp_message_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.whatsapp_message
    ADD CONSTRAINT whatsapp_message_pkey PRIMARY KEY (id);


--
-- Name: whatsapp_message whatsapp_message_wa_message_id_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.whatsapp_message
    ADD CONSTRAINT whatsapp_message_wa_message_id_key UNIQUE (wa_message_id);


--
-- Name: ix_case_event_workflow_id; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX ix_case_event_workflow_id ON public.case_event USING btree (workflow_id);


--
-- Name: ix_chat_message_application_id; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX ix_chat_message_application_id ON public.chat_message USING btree (application_id);


--
-- Name: ix_complaint_applicant_id; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX ix_complaint_applicant_id ON public.complaint USING btree (applicant_id);


--
-- Name: ix_complaint_category; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX ix_complaint_category ON public.complaint USING btree (category);


--
-- Name: ix_complaint_stage; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX ix_complaint_stage ON public.complaint USING btree (stage);


--
-- Name: ix_document_workflow_id; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX ix_document_workflow_id ON public.document USING btree (workflow_id);


--
-- Name: ix_email_code_email; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX ix_email_code_email ON public.email_code USING btree (email);


--
-- Name: ix_leave_request_employee_id; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX ix_leave_request_employee_id ON public.leave_request USING btree (employee_id);


--
-- Name: ix_leave_request_status; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX ix_leave_request_status ON public.leave_request USING btree (status);


--
-- Name: ix_letter_created_by_id; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX ix_letter_created_by_id ON public.letter USING btree (created_by_id);


--
-- Name: ix_letter_status; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX ix_letter_status ON public.letter USING btree (status);


--
-- Name: ix_notification_recipient_id; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX ix_notification_recipient_id ON public.notification USING btree (recipient_id);


--
-- Name: ix_permit_application_applicant_id; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX ix_permit_application_applicant_id ON public.permit_application USING btree (applicant_id);


--
-- Name: ix_permit_application_status; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX ix_permit_application_status ON public.permit_application USING btree (status);


--
-- Name: ix_permit_draft_applicant_id; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX ix_permit_draft_applicant_id ON public.permit_draft USING btree (applicant_id);


--
-- Name: ix_permit_revision_application_id; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX ix_permit_revision_application_id ON public.permit_revision USING btree (application_id);


--
-- Name: ix_process_run_business_key; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX ix_process_run_business_key ON public.process_run USING btree (business_key);


--
-- Name: ix_process_run_closed; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX ix_process_run_closed ON public.process_run USING btree (closed_at);


--
-- Name: ix_process_run_process_started; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX ix_process_run_process_started ON public.process_run USING btree (process, started_at, workflow_id);


--
-- Name: ix_process_run_process_status_started; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX ix_process_run_process_status_started ON public.process_run USING btree (process, status, started_at, workflow_id);


--
-- Name: ix_process_run_started; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX ix_process_run_started ON public.process_run USING btree (started_at, workflow_id);


--
-- Name: ix_process_run_status_started; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX ix_process_run_status_started ON public.process_run USING btree (status, started_at, workflow_id);


--
-- Name: ix_queue_ticket_counter; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX ix_queue_ticket_counter ON public.queue_ticket USING btree (service_day, counter_code, called_at);


--
-- Name: ix_queue_ticket_waiting; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX ix_queue_ticket_waiting ON public.queue_ticket USING btree (service_day, group_code, status, sequence);


--
-- Name: ix_registry_callback_request_code; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX ix_registry_callback_request_code ON public.registry_callback USING btree (request_code);


--
-- Name: ix_siramasakan_pending; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX ix_siramasakan_pending ON public.siramasakan_request USING btree (finished_at, handed_off_at);


--
-- Name: ix_siramasakan_request_applicant_id; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX ix_siramasakan_request_applicant_id ON public.siramasakan_request USING btree (applicant_id);


--
-- Name: ix_siramasakan_request_status; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX ix_siramasakan_request_status ON public.siramasakan_request USING btree (status);


--
-- Name: ix_stored_file_owner_id; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX ix_stored_file_owner_id ON public.stored_file USING btree (owner_id);


--
-- Name: ix_substitution_acting_id; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX ix_substitution_acting_id ON public.substitution USING btree (acting_id);


--
-- Name: ix_substitution_official_id; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX ix_substitution_official_id ON public.substitution USING btree (official_id);


--
-- Name: ix_survey_response_permit_type; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX ix_survey_response_permit_type ON public.survey_response USING btree (permit_type);


--
-- Name: ix_task_inbox_delegate; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX ix_task_inbox_delegate ON public.task USING btree (status, delegate_id, created_at, id);


--
-- Name: ix_task_inbox_done; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX ix_task_inbox_done ON public.task USING btree (status, completed_by_id, completed_at, id);


--
-- Name: ix_task_inbox_escalated; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX ix_task_inbox_escalated ON public.task USING btree (status, escalated_to_role, created_at, id);


--
-- Name: ix_task_inbox_owned; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX ix_task_inbox_owned ON public.task USING btree (status, owner_id, created_at, id) WHERE (owner_id IS NOT NULL);


--
-- Name: ix_task_inbox_role_unowned; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX ix_task_inbox_role_unowned ON public.task USING btree (status, role, created_at, id) WHERE (owner_id IS NULL);


--
-- Name: ix_task_workflow_id; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX ix_task_workflow_id ON public.task USING btree (workflow_id);


--
-- Name: ix_user_role_role; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX ix_user_role_role ON public.user_role USING btree (role);


--
-- Name: ix_walk_in_open; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX ix_walk_in_open ON public.walk_in_visit USING btree (finished_at, created_at);


--
-- Name: ix_walk_in_visit_status; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX ix_walk_in_visit_status ON public.walk_in_visit USING btree (status);


--
-- Name: ix_whatsapp_message_phone; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX ix_whatsapp_message_phone ON public.whatsapp_message USING btree (phone);


--
-- Name: app_user app_user_supervisor_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.app_user
    ADD CONSTRAINT app_user_supervisor_id_fkey FOREIGN KEY (supervisor_id) REFERENCES public.app_user(id);


--
-- Name: app_user app_user_unit_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.app_user
    ADD CONSTRAINT app_user_unit_id_fkey FOREIGN KEY (unit_id) REFERENCES public.unit(id);


--
-- Name: applicant_profile applicant_profile_user_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.applicant_profile
    ADD CONSTRAINT applicant_profile_user_id_fkey FOREIGN KEY (user_id) REFERENCES public.app_user(id);


--
-- Name: case_event case_event_actor_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.case_event
    ADD CONSTRAINT case_event_actor_id_fkey FOREIGN KEY (actor_id) REFERENCES public.app_user(id);


--
-- Name: chat_message chat_message_application_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.chat_message
    ADD CONSTRAINT chat_message_application_id_fkey FOREIGN KEY (application_id) REFERENCES public.permit_application(id);


--
-- Name: chat_message chat_message_file_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.chat_message
    ADD CONSTRAINT chat_message_file_id_fkey FOREIGN KEY (file_id) REFERENCES public.stored_file(id);


--
-- Name: chat_message chat_message_sender_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.chat_message
    ADD CONSTRAINT chat_message_sender_id_fkey FOREIGN KEY (sender_id) REFERENCES public.app_user(id);


--
-- Name: complaint complaint_applicant_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.complaint
    ADD CONSTRAINT complaint_applicant_id_fkey FOREIGN KEY (applicant_id) REFERENCES public.app_user(id);


--
-- Name: complaint complaint_application_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.complaint
    ADD CONSTRAINT complaint_application_id_fkey FOREIGN KEY (application_id) REFERENCES public.permit_application(id);


--
-- Name: complaint complaint_letter_document_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.complaint
    ADD CONSTRAINT complaint_letter_document_id_fkey FOREIGN KEY (letter_document_id) REFERENCES public.document(id);


--
-- Name: complaint complaint_officer_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.complaint
    ADD CONSTRAINT complaint_officer_id_fkey FOREIGN KEY (officer_id) REFERENCES public.app_user(id);


--
-- Name: complaint complaint_unit_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.complaint
    ADD CONSTRAINT complaint_unit_id_fkey FOREIGN KEY (unit_id) REFERENCES public.unit(id);


--
-- Name: document document_owner_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.document
    ADD CONSTRAINT document_owner_id_fkey FOREIGN KEY (owner_id) REFERENCES public.app_user(id);


--
-- Name: email_code email_code_user_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.email_code
    ADD CONSTRAINT email_code_user_id_fkey FOREIGN KEY (user_id) REFERENCES public.app_user(id);


--
-- Name: leave_request leave_request_document_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.leave_request
    ADD CONSTRAINT leave_request_document_id_fkey FOREIGN KEY (document_id) REFERENCES public.document(id);


--
-- Name: leave_request leave_request_employee_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.leave_request
    ADD CONSTRAINT leave_request_employee_id_fkey FOREIGN KEY (employee_id) REFERENCES public.app_user(id);


--
-- Name: leave_request leave_request_substitute_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.leave_request
    ADD CONSTRAINT leave_request_substitute_id_fkey FOREIGN KEY (substitute_id) REFERENCES public.app_user(id);


--
-- Name: letter letter_created_by_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.letter
    ADD CONSTRAINT letter_created_by_id_fkey FOREIGN KEY (created_by_id) REFERENCES public.app_user(id);


--
-- Name: letter letter_scan_file_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.letter
    ADD CONSTRAINT letter_scan_file_id_fkey FOREIGN KEY (scan_file_id) REFERENCES public.stored_file(id);


--
-- Name: letter letter_softcopy_file_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.letter
    ADD CONSTRAINT letter_softcopy_file_id_fkey FOREIGN KEY (softcopy_file_id) REFERENCES public.stored_file(id);


--
-- Name: letter letter_unit_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.letter
    ADD CONSTRAINT letter_unit_id_fkey FOREIGN KEY (unit_id) REFERENCES public.unit(id);


--
-- Name: notification notification_recipient_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.notification
    ADD CONSTRAINT notification_recipient_id_fkey FOREIGN KEY (recipient_id) REFERENCES public.app_user(id);


--
-- Name: permit_application permit_application_applicant_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.permit_application
    ADD CONSTRAINT permit_application_applicant_id_fkey FOREIGN KEY (applicant_id) REFERENCES public.app_user(id);


--
-- Name: permit_application permit_application_permit_document_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.permit_application
    ADD CONSTRAINT permit_application_permit_document_id_fkey FOREIGN KEY (permit_document_id) REFERENCES public.document(id);


--
-- Name: permit_draft permit_draft_applicant_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.permit_draft
    ADD CONSTRAINT permit_draft_applicant_id_fkey FOREIGN KEY (applicant_id) REFERENCES public.app_user(id);


--
-- Name: permit_revision permit_revision_application_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.permit_revision
    ADD CONSTRAINT permit_revision_application_id_fkey FOREIGN KEY (application_id) REFERENCES public.permit_application(id);


--
-- Name: queue_ticket queue_ticket_called_by_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.queue_ticket
    ADD CONSTRAINT queue_ticket_called_by_id_fkey FOREIGN KEY (called_by_id) REFERENCES public.app_user(id);


--
-- Name: queue_ticket queue_ticket_visit_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.queue_ticket
    ADD CONSTRAINT queue_ticket_visit_id_fkey FOREIGN KEY (visit_id) REFERENCES public.walk_in_visit(id);


--
-- Name: signing_authorization signing_authorization_signer_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.signing_authorization
    ADD CONSTRAINT signing_authorization_signer_id_fkey FOREIGN KEY (signer_id) REFERENCES public.app_user(id);


--
-- Name: siramasakan_request siramasakan_request_applicant_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.siramasakan_request
    ADD CONSTRAINT siramasakan_request_applicant_id_fkey FOREIGN KEY (applicant_id) REFERENCES public.app_user(id);


--
-- Name: stored_file stored_file_owner_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.stored_file
    ADD CONSTRAINT stored_file_owner_id_fkey FOREIGN KEY (owner_id) REFERENCES public.app_user(id);


--
-- Name: substitution substitution_acting_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.substitution
    ADD CONSTRAINT substitution_acting_id_fkey FOREIGN KEY (acting_id) REFERENCES public.app_user(id);


--
-- Name: substitution substitution_created_by_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.substitution
    ADD CONSTRAINT substitution_created_by_id_fkey FOREIGN KEY (created_by_id) REFERENCES public.app_user(id);


--
-- Name: substitution substitution_leave_request_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.substitution
    ADD CONSTRAINT substitution_leave_request_id_fkey FOREIGN KEY (leave_request_id) REFERENCES public.leave_request(id);


--
-- Name: substitution substitution_official_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.substitution
    ADD CONSTRAINT substitution_official_id_fkey FOREIGN KEY (official_id) REFERENCES public.app_user(id);


--
-- Name: survey_response survey_response_application_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.survey_response
    ADD CONSTRAINT survey_response_application_id_fkey FOREIGN KEY (application_id) REFERENCES public.permit_application(id);


--
-- Name: task task_acting_for_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.task
    ADD CONSTRAINT task_acting_for_id_fkey FOREIGN KEY (acting_for_id) REFERENCES public.app_user(id);


--
-- Name: task task_claimed_by_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.task
    ADD CONSTRAINT task_claimed_by_id_fkey FOREIGN KEY (claimed_by_id) REFERENCES public.app_user(id);


--
-- Name: task task_completed_by_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.task
    ADD CONSTRAINT task_completed_by_id_fkey FOREIGN KEY (completed_by_id) REFERENCES public.app_user(id);


--
-- Name: task task_delegate_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.task
    ADD CONSTRAINT task_delegate_id_fkey FOREIGN KEY (delegate_id) REFERENCES public.app_user(id);


--
-- Name: task task_owner_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.task
    ADD CONSTRAINT task_owner_id_fkey FOREIGN KEY (owner_id) REFERENCES public.app_user(id);


--
-- Name: unit unit_parent_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.unit
    ADD CONSTRAINT unit_parent_id_fkey FOREIGN KEY (parent_id) REFERENCES public.unit(id);


--
-- Name: user_role user_role_user_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.user_role
    ADD CONSTRAINT user_role_user_id_fkey FOREIGN KEY (user_id) REFERENCES public.app_user(id);


--
-- Name: walk_in_visit walk_in_visit_registered_by_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.walk_in_visit
    ADD CONSTRAINT walk_in_visit_registered_by_id_fkey FOREIGN KEY (registered_by_id) REFERENCES public.app_user(id);


--
-- Name: whatsapp_message whatsapp_message_notification_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.whatsapp_message
    ADD CONSTRAINT whatsapp_message_notification_id_fkey FOREIGN KEY (notification_id) REFERENCES public.notification(id);


--
-- Name: whatsapp_message whatsapp_message_sent_by_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.whatsapp_message
    ADD CONSTRAINT whatsapp_message_sent_by_id_fkey FOREIGN KEY (sent_by_id) REFERENCES public.app_user(id);


--
-- PostgreSQL database dump complete
--


