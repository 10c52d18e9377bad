"""`config.toml` -> a frozen `Policy`, strictly validated.

Each key is declared once, as a dataclass field whose metadata holds its converter
and help text (the beancount `OptDesc` idea). Unknown keys are errors: a typo such
as ``min_days_beetween_contacts`` must not silently switch a rule off. Every error
names the file, the key, what was found and what is expected.

Relative paths in the file are relative to the config file, so a scheduled job can
run from any working directory.
"""

from __future__ import annotations

import dataclasses
import re
import tomllib
from dataclasses import dataclass, field
from datetime import time
from decimal import Decimal
from pathlib import Path
from typing import Any, Mapping

from relance.core.config_listen import BankConfig, DigestConfig, ListenConfig, RetentionConfig
from relance.core.config_names import country as _country, did_you_mean, stage_name, timezone as _timezone
from relance.core.config_values import (  # noqa: F401  (the converters, re-exported for tests)
    _b2b_rate, _bool, _choice, _decimal, _hhmm, _int, _names, _rates, _str, _table, _window, opt, toml_error)


class ConfigError(Exception):
    """A config problem, already phrased for the user."""


# --- sections ---

@dataclass(frozen=True, slots=True)
class RegisterConfig:
    backend: str = opt("xlsx", _choice("xlsx", "gsheets"), "where the register lives")
    path: str = opt("registre.xlsx", _str, "xlsx: the workbook")
    spreadsheet: str = opt("", _str, "gsheets: URL or key of the spreadsheet")
    credentials_file: str = opt("", _str, "gsheets: service-account JSON, else GOOGLE_APPLICATION_CREDENTIALS")


@dataclass(frozen=True, slots=True)
class CompanyConfig:
    name: str = opt("Atelier Dupont SARL", _str, "creditor name, used in letters and signatures")
    siren: str = opt("123456789", _str)
    address: str = opt("12 rue de la Paix, 75002 Paris", _str)
    email: str = opt("compta@example.fr", _str, "accounts-receivable mailbox (Reply-To)")
    phone: str = opt("", _str)
    city: str = opt("Paris", _str, "place written on letters (« Fait à … »)")
    iban: str = opt("", _str, "bank account shown in reminders and letters, with a SEPA transfer QR code")
    bic: str = opt("", _str, "BIC of that account (optional)")
    logo: str = opt("", _str, "PNG/JPEG logo shown at the top of emails (embedded, never a remote link)")
    legal_form: str = opt("", _str, "e.g. SARL, SAS: letters' footer")
    capital: str = opt("", _str, "share capital as printed, e.g. \"10 000 €\": letters' footer")
    rcs: str = opt("", _str, "e.g. \"RCS Paris 123 456 789\": letters' footer")
    vat: str = opt("", _str, "intra-EU VAT number: letters' footer")
    signatory: str = opt("", _str, "name signing formal-notice letters")
    signatory_title: str = opt("", _str, "their title, e.g. \"Gérante\"")


@dataclass(frozen=True, slots=True)
class ScheduleConfig:
    timezone: str = opt("Europe/Paris", _timezone)
    send_window: tuple[time, time] = opt((time(9), time(18)), _window, "local hours when mail may go out")
    business_days_only: bool = opt(True, _bool)
    holidays: str = opt("FR", _country, "country code for public holidays (holidays package)")
    min_days_between_contacts: int = opt(3, _int(0, 365))
    daily_limit: int = opt(200, _int(1, 100_000))
    max_payment_data_age: int = opt(5, _int(0, 60), "business days; older payment data stops sending (0 = off)")


@dataclass(frozen=True, slots=True)
class Stage:
    key: str = opt("", _str)
    offset_days: int = opt(0, _int(-365, 3650), "days from the due date (negative = before)")
    channel: str = opt("email", _choice("email", "letter+email", "task"))
    requires_approval: bool = opt(False, _bool, "formal notices wait for Approuvée = Oui on their task")
    label: str = opt("", _str, "name shown to staff; defaults from the key")
    aliases: tuple = opt((), _names, "former keys or labels of this stage (after a rename), so journal rows "
                                     "written under them still count")
    terms: str = opt("", _str, "payment-terms (CGV) reminder printed in this stage's messages")


@dataclass(frozen=True, slots=True)
class EscalationConfig:
    after_reminders_without_reply: int = opt(3, _int(1, 50), "then a task to call the client")
    amount_threshold: Decimal = opt(Decimal("5000"), _decimal, "remaining above which human_stage goes to a human")
    strategic_to_account_manager: bool = opt(True, _bool, "Stratégique: human_stage goes to the account manager")
    human_stage: str = opt("renforcee", _str, "the stage a human handles for strategic or big accounts")
    assignee: str = opt("", _str, "who gets tasks when the client has no account manager")


def _offsets(value: Any) -> dict:
    if not isinstance(value, dict) or not all(isinstance(v, int) and not isinstance(v, bool) for v in value.values()):
        raise ValueError(f"des paires étape = jours sont attendues, comme {{ amiable = 3, renforcee = 15 }}, "
                         f"trouvé {value!r}")
    return dict(value)


@dataclass(frozen=True, slots=True)
class SegmentConfig:
    offsets: dict = opt({}, _offsets, "stage key -> offset_days for this segment (others as [[stages]])")
    cc_account_manager: bool = opt(False, _bool, "the account manager is in Cc of every message")


@dataclass(frozen=True, slots=True)
class RulesConfig:
    min_amount: Decimal = opt(Decimal("10"), _decimal, "balances below this are not chased (still in the summary)")
    direct_debit_grace_days: int = opt(5, _int(0, 60), "direct debit: days after the due date before an alert")


@dataclass(frozen=True, slots=True)
class PromisesConfig:
    grace_days: int = opt(3, _int(0, 90), "days after a promised date before reminders resume")


@dataclass(frozen=True, slots=True)
class PaymentPlansConfig:
    pre_days: int = opt(5, _int(0, 60), "pre-reminder this many days before each instalment")
    reminder_days: int = opt(1, _int(0, 60), "reminder this many days after an unpaid instalment")
    missed_after_days: int = opt(10, _int(1, 120), "an instalment unpaid this long is missed: alert")
    resume_ladder_on_missed: bool = opt(True, _bool, "a missed instalment resumes the invoice's ladder")


@dataclass(frozen=True, slots=True)
class PenaltiesConfig:
    b2b_rate: str = opt("ecb+10", _b2b_rate, "\"ecb+10\" or a contractual annual rate such as \"15\"")
    fixed_indemnity_eur: Decimal = opt(Decimal("40"), _decimal)
    b2c_rate: str = opt("legal", _choice("legal"))
    b2c_interest_from_due: bool = opt(False, _bool, "consumer contract makes the due date the notice (C. civ. 1344)")
    allow_unconfirmed_rates: bool = opt(False, _bool, "compute with rates reported by secondary sources only")
    notice_deadline_days: int = opt(8, _int(1, 90), "days given to pay in a formal notice")
    prescription_warning_days: int = opt(90, _int(0, 730), "Alerte + task this long before a claim is time-barred")
    rates: dict = opt({}, _rates, "overrides of the packaged rate table, by half-year")


@dataclass(frozen=True, slots=True)
class MailConfig:
    mailer: str = opt("outbox", _choice("outbox", "smtp"))
    outbox: str = opt("outbox", _str, "folder of .eml files")
    smtp_host: str = opt("smtp.example.fr", _str)
    smtp_port: int = opt(587, _int(1, 65535))
    smtp_user: str = opt("compta@example.fr", _str)
    smtp_security: str = opt("starttls", _choice("starttls", "ssl", "none"))
    sender: str = opt("Atelier Dupont – Comptabilité <compta@example.fr>", _str, toml="from")
    test_recipient: str = opt("", _str, "when set, every message goes there instead (test mode)")
    on_uncertain: str = opt("task", _choice("task", "resend"),
                            "a send interrupted before the server's answer: ask a human, or send it again")


@dataclass(frozen=True, slots=True)
class PathsConfig:
    templates: str = opt("templates", _str, "staff-editable templates; packaged ones fill the gaps")
    letters: str = opt("letters", _str, "formal-notice PDFs")
    invoices: str = opt("factures", _str, "invoice PDFs named <N° facture>.pdf, attached to reminders when present")


DEFAULT_STAGES = (
    Stage("pre", -5, "email", label="Pré-relance"),
    Stage("amiable", 1, "email", label="Relance amiable"),
    Stage("renforcee", 8, "email", label="Relance renforcée"),
    Stage("demeure", 30, "letter+email", requires_approval=True, label="Mise en demeure"),
    Stage("recouvrement", 45, "task", label="Dossier de recouvrement"),
)
STAGE_LABELS = {s.key: s.label for s in DEFAULT_STAGES}
SEGMENT_NAMES = ("Standard", "Stratégique", "Particulier")
DEFAULT_SEGMENTS = {"Stratégique": SegmentConfig({"amiable": 3, "renforcee": 15, "demeure": 45, "recouvrement": 60},
                                                 cc_account_manager=True)}


@dataclass(frozen=True, slots=True)
class Policy:
    register: RegisterConfig = RegisterConfig()
    company: CompanyConfig = CompanyConfig()
    schedule: ScheduleConfig = ScheduleConfig()
    stages: tuple[Stage, ...] = DEFAULT_STAGES
    escalation: EscalationConfig = EscalationConfig()
    penalties: PenaltiesConfig = PenaltiesConfig()
    mail: MailConfig = MailConfig()
    paths: PathsConfig = PathsConfig()
    segments: Mapping[str, SegmentConfig] = field(default_factory=lambda: dict(DEFAULT_SEGMENTS))
    policy: RulesConfig = RulesConfig()
    promises: PromisesConfig = PromisesConfig()
    payment_plans: PaymentPlansConfig = PaymentPlansConfig()
    bank: BankConfig = BankConfig()
    listen: ListenConfig = ListenConfig()
    digest: DigestConfig = DigestConfig()
    retention: RetentionConfig = RetentionConfig()
    base_dir: Path = Path(".")
    source: str = "config.toml"

    def resolve(self, path: str) -> Path:
        """A path from the config, relative to the config file."""
        return (self.base_dir / Path(path).expanduser()).resolve()

    def stage(self, key_: str) -> Stage:
        for stage in self.stages:
            if stage.key == key_:
                return stage
        raise KeyError(key_)

    def offset(self, stage: Stage, segment: str) -> int:
        """Days from the due date for `stage`, as the client's segment sets it."""
        config = self.segments.get(segment)
        return config.offsets.get(stage.key, stage.offset_days) if config else stage.offset_days

    def stage_index(self, key_: str) -> int:
        return [s.key for s in self.stages].index(key_)

    def stage_names(self) -> list[tuple[str, ...]]:
        """Each stage as (key, label, *aliases): every name a journal row may give it (journal.JournalIndex)."""
        return [(s.key, s.label, *s.aliases) for s in self.stages]

    def label(self, key_: str) -> str:
        try:
            return self.stage(key_).label
        except KeyError:
            return key_


_SECTION_TYPES = {"register": RegisterConfig, "company": CompanyConfig, "schedule": ScheduleConfig,
                  "escalation": EscalationConfig, "penalties": PenaltiesConfig, "mail": MailConfig,
                  "paths": PathsConfig, "promises": PromisesConfig, "payment_plans": PaymentPlansConfig, "policy": RulesConfig,
                  "bank": BankConfig, "listen": ListenConfig, "digest": DigestConfig,
                  "retention": RetentionConfig}  # relance anonymise


def _key(where: str, name: str) -> str:
    """Where a key is, as staff find it in the file: ``[schedule].send_window``, ``[[stages]] n°2, channel``."""
    return f"{where}, {name}" if where.startswith("[[") else f"{where}.{name}"


def _stage_where(i: int) -> str:
    """The i-th (from 0) ``[[stages]]`` table, counted from 1 as in the file."""
    return f"[[stages]] n°{i + 1}"


def _build(cls: type, raw: Any, where: str, source: str) -> Any:
    """`where` is the table as written in the file: ``[schedule]``, ``[segments.Stratégique]``, ``[[stages]] n°1``."""
    if not isinstance(raw, dict):
        raise ConfigError(f"{source} : {where} doit être une table de clés")
    known = {f.metadata["toml"] or f.name: f for f in dataclasses.fields(cls)}
    values = {}
    for name, value in raw.items():
        if name not in known:
            expected = ", ".join(sorted(known))
            raise ConfigError(f"{source} : {_key(where, name)} : clé inconnue (clés possibles : {expected})"
                              + did_you_mean(name, known))
        fld = known[name]
        try:
            values[fld.name] = fld.metadata["convert"](value)
        except ValueError as exc:
            raise ConfigError(f"{source} : {_key(where, name)} : {exc}") from None
    return cls(**values)


def policy_from_dict(data: dict, *, base_dir: Path = Path("."), source: str = "config.toml") -> Policy:
    """Validate a parsed TOML document; raise ConfigError naming file and key."""
    unknown = set(data) - set(_SECTION_TYPES) - {"stages", "segments"}
    if unknown:
        raise ConfigError(f"{source} : section [{sorted(unknown)[0]}] inconnue "
                          f"(sections possibles : {', '.join(sorted([*_SECTION_TYPES, 'stages', 'segments']))})")
    sections = {name: _build(cls, data.get(name, {}), f"[{name}]", source) for name, cls in _SECTION_TYPES.items()}
    stages = DEFAULT_STAGES
    if "stages" in data:
        raw_stages = data["stages"]
        if not isinstance(raw_stages, list) or not raw_stages:
            raise ConfigError(f"{source} : [[stages]] doit être une liste de tables d'étapes")
        stages = tuple(_build(Stage, s, _stage_where(i), source) for i, s in enumerate(raw_stages))
        stages = tuple(dataclasses.replace(s, label=s.label or STAGE_LABELS.get(s.key, s.key)) for s in stages)
        _check_stages(stages, source)
    segments = dict(DEFAULT_SEGMENTS)
    if "segments" in data:
        raw_segments = data["segments"]
        if not isinstance(raw_segments, dict):
            raise ConfigError(f"{source} : [segments] doit contenir des tables comme [segments.Stratégique]")
        segments = {}
        for name, raw in raw_segments.items():
            if name not in SEGMENT_NAMES:
                raise ConfigError(f"{source} : [segments.{name}] : segment inconnu (segments possibles : "
                                  f"{', '.join(SEGMENT_NAMES)})" + did_you_mean(name, SEGMENT_NAMES))
            segments[name] = _build(SegmentConfig, raw, f"[segments.{name}]", source)
            _check_segment(name, segments[name], stages, source)
    try:  # a value naming a stage must name one of the ladder (config_names.py)
        stage_name(sections["escalation"].human_stage, [(st.key, st.label) for st in stages])
    except ValueError as exc:
        raise ConfigError(f"{source} : [escalation].human_stage : {exc}") from None
    return Policy(**sections, stages=stages, segments=segments, base_dir=base_dir, source=source)


def _check_segment(name: str, segment: SegmentConfig, stages: tuple[Stage, ...], source: str) -> None:
    keys = [s.key for s in stages]
    for stage_key in segment.offsets:
        if stage_key not in keys:
            raise ConfigError(f"{source} : [segments.{name}].offsets.{stage_key} : étape inconnue "
                              f"(étapes : {', '.join(keys)})" + did_you_mean(stage_key, keys))
    offsets = [segment.offsets.get(s.key, s.offset_days) for s in stages]
    if offsets != sorted(offsets) or len(set(offsets)) != len(offsets):
        raise ConfigError(f"{source} : [segments.{name}].offsets : les jours des étapes doivent rester croissants, "
                          f"trouvé {offsets}")


def _check_stages(stages: tuple[Stage, ...], source: str) -> None:
    keys = [s.key for s in stages]
    for i, stage in enumerate(stages):
        if not re.fullmatch(r"[a-z][a-z0-9_]*", stage.key):
            raise ConfigError(f"{source} : {_key(_stage_where(i), 'key')} : un nom court en minuscules est attendu, "
                              f"comme \"amiable\", trouvé {stage.key!r}")
    if len(set(keys)) != len(keys):
        raise ConfigError(f"{source} : [[stages]] : chaque key doit être unique, trouvé {keys}")
    offsets = [s.offset_days for s in stages]
    if offsets != sorted(offsets) or len(set(offsets)) != len(offsets):
        raise ConfigError(f"{source} : [[stages]] : offset_days doit augmenter d'une étape à la suivante, "
                          f"trouvé {offsets}")


def load_policy(path: str | Path = "config.toml") -> Policy:
    """Read and validate `path`. A missing file is an error: run `relance init` first."""
    path = Path(path)
    if not path.exists():
        raise ConfigError(f"{path} : fichier de configuration introuvable. Créez-le avec `relance init` "
                          f"ou indiquez son chemin avec --config CHEMIN.")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path} : syntaxe TOML invalide, {toml_error(exc)}") from None
    return policy_from_dict(data, base_dir=path.resolve().parent, source=str(path))


def default_config_text() -> str:
    """The commented config written by `relance init` and `relance demo`."""
    from relance.defaults import default_path
    return default_path("config.toml").read_text(encoding="utf-8")
