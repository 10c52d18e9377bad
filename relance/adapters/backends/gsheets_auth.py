"""Google credentials and errors, turned into sentences a bookkeeper can act on.

Why a module of its own: almost every failure of a first Google Sheets setup is a
credential or sharing mistake (wrong JSON downloaded, sheet not shared with the
robot's address, API not enabled), and Google's answers (``403 The caller does
not have permission``) do not say what to do. Each known case gets one French
sentence naming the file, the key or the email to share with.

The private key never leaves `load_credentials`: messages are built from the
file path, the ``type`` and ``client_email`` fields only, never from exception
text that could quote the key, and every exception is raised ``from None``.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from relance.adapters.backends import BackendError

SCOPES = ("https://www.googleapis.com/auth/spreadsheets",)
CREDENTIALS_ENV = "GOOGLE_APPLICATION_CREDENTIALS"
HOW_TO = "voir le README, section « Use with Google Sheets »"
KEY_RE = re.compile(r"^[A-Za-z0-9_-]{20,}$")
URL_RE = re.compile(r"/spreadsheets/d/([A-Za-z0-9_-]+)")


class SheetsError(BackendError):
    """A Sheets call failed for good; `status` is the HTTP status when Google answered."""

    def __init__(self, message: str, status: int | None = None):
        super().__init__(message)
        self.status = status


@dataclass(frozen=True, slots=True)
class ServiceAccount:
    credentials: Any  # google.oauth2.service_account.Credentials
    email: str
    project: str


def spreadsheet_key(value: str) -> str:
    """The spreadsheet id from ``register.spreadsheet``: a URL or the bare key."""
    text = (value or "").strip()
    if not text:
        raise BackendError("register.spreadsheet manquant dans config.toml : collez l'URL du classeur Google "
                           "Sheets (https://docs.google.com/spreadsheets/d/…) ou son identifiant.")
    match = URL_RE.search(text)
    if match:
        return match.group(1)
    if KEY_RE.match(text):
        return text
    raise BackendError(f"register.spreadsheet « {text[:80]} » n'est ni une URL Google Sheets "
                       f"(https://docs.google.com/spreadsheets/d/…) ni un identifiant de classeur.")


def credentials_path(configured: Path | None) -> Path:
    """``register.credentials_file`` (already resolved), else ``$GOOGLE_APPLICATION_CREDENTIALS``.

    A configured file that is not on this machine gives way to the variable: the same
    config.toml then serves on a laptop (file beside it) and in CI (key from a secret)."""
    env = os.environ.get(CREDENTIALS_ENV, "").strip()
    if configured is not None and (configured.is_file() or not env):
        return configured
    if env:
        return Path(env)
    raise BackendError(f"aucune clé de compte de service : indiquez register.credentials_file dans config.toml "
                       f"ou la variable d'environnement {CREDENTIALS_ENV} ({HOW_TO}).")


def load_credentials(path: Path) -> ServiceAccount:
    """Read a service-account key file; every mistake becomes a `BackendError` naming the file."""
    if not path.is_file():
        raise BackendError(f"clé de compte de service introuvable : {path} (register.credentials_file ou "
                           f"{CREDENTIALS_ENV}) ; téléchargez-la depuis la console Google Cloud, {HOW_TO}.")
    try:
        info = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        raise BackendError(f"{path} n'est pas un fichier JSON lisible : téléchargez à nouveau la clé du "
                           f"compte de service (format JSON), {HOW_TO}.") from None
    if not isinstance(info, dict):
        raise BackendError(f"{path} n'est pas une clé de compte de service (JSON inattendu), {HOW_TO}.")
    kind = info.get("type")
    if kind != "service_account":
        raise BackendError(f"{path} n'est pas une clé de compte de service : {_what_it_is(info)}. "
                           f"Créez un compte de service et téléchargez sa clé JSON, {HOW_TO}.")
    missing = [f for f in ("client_email", "private_key", "token_uri") if not info.get(f)]
    if missing:
        raise BackendError(f"{path} : clé de compte de service incomplète (champ(s) manquant(s) : "
                           f"{', '.join(missing)}) ; téléchargez-en une nouvelle.")
    email = str(info["client_email"])
    from google.oauth2.service_account import Credentials
    try:
        credentials = Credentials.from_service_account_info(info, scopes=list(SCOPES))
    except Exception:  # the key text itself is unreadable; never echo the exception (it may quote it)
        raise BackendError(f"{path} : la clé privée du compte de service {email} est illisible (fichier tronqué "
                           f"ou modifié ?) ; téléchargez une nouvelle clé JSON.") from None
    return ServiceAccount(credentials, email, str(info.get("project_id", "")))


def _what_it_is(info: dict) -> str:
    if "installed" in info or "web" in info:
        return "c'est un identifiant client OAuth (« ID client »), pas une clé de compte de service"
    if info.get("type") == "authorized_user":
        return "ce sont les identifiants d'un utilisateur (gcloud auth), pas d'un compte de service"
    if info.get("type"):
        return f"son champ « type » vaut « {str(info['type'])[:40]} » au lieu de « service_account »"
    return "le champ « type » est absent"


def explain(exc: BaseException, key: str, account: str, attempts: int) -> SheetsError:
    """One French sentence for a failed Sheets call (after retries, if it was retried)."""
    from gspread.exceptions import APIError
    status = exc.code if isinstance(exc, APIError) else None
    return SheetsError(_sentence(exc, key, account or "le compte de service", attempts), status)


def _sentence(exc: BaseException, key: str, who: str, attempts: int) -> str:
    import requests
    from google.auth.exceptions import RefreshError, TransportError
    from gspread.exceptions import APIError
    refused = (f"Google refuse la clé du compte de service {who} (clé révoquée, compte supprimé ou horloge de la "
               f"machine fausse) : créez une nouvelle clé JSON, {HOW_TO}.")
    if isinstance(exc, APIError):
        code, error = exc.code, exc.error if isinstance(exc.error, dict) else {}
        if code == 403 and _service_disabled(error):
            return (f"l'API Google Sheets n'est pas activée pour le projet de {who} : activez-la "
                    f"({_activation_link(error)}), attendez quelques minutes puis relancez.")
        if code == 403:
            return (f"le classeur {key} n'est pas partagé avec le compte de service {who} : ouvrez-le dans "
                    f"Google Sheets, bouton « Partager », ajoutez {who} comme « Éditeur » (sans notification), "
                    f"puis relancez.")
        if code == 404:
            return (f"classeur Google Sheets introuvable ({key}) : vérifiez register.spreadsheet (URL ou "
                    f"identifiant) et qu'il est partagé avec {who}.")
        if code == 401:
            return refused
        if code in (408, 429, 500, 502, 503, 504):
            why = "quota de requêtes dépassé" if code == 429 else "service indisponible"
            return (f"Google Sheets ne répond pas ({why}, HTTP {code}) après {attempts} tentatives : réessayez "
                    f"dans quelques minutes.")
        message = str(error.get("message", ""))
        gone = re.search(r"Unable to parse range: '?((?:[^'!]|'')+)'?", message) if code == 400 else None
        if gone:  # a tab staff renamed or deleted since relance listed them: say which, not Google's words
            return (f"onglet « {gone.group(1).replace(chr(39) * 2, chr(39))} » introuvable : renommé ou supprimé "
                    f"pendant l'exécution ; rien n'a été écrit par cette requête (Google Sheets, HTTP 400 : "
                    f"{message[:200]}). Rendez-lui son nom (ou restaurez-le), puis relancez.")
        return f"Google Sheets a refusé la requête (HTTP {code}) : {message[:300]}"
    if isinstance(exc, RefreshError) and getattr(exc, "retryable", False):  # the token endpoint failed (5xx)
        return (f"le service d'authentification de Google a échoué (jeton d'accès refusé pour cause de panne, "
                f"pas de clé) après {attempts} tentatives : réessayez plus tard ; la clé de {who} n'est pas en "
                f"cause.")
    if isinstance(exc, RefreshError):
        return refused
    if isinstance(exc, TransportError):
        return (f"impossible de joindre Google pour obtenir un jeton d'accès ({who}) après {attempts} tentatives : "
                f"vérifiez la connexion réseau.")
    import json
    if isinstance(exc, (requests.exceptions.JSONDecodeError, json.JSONDecodeError)):
        return (f"réponse de Google Sheets incomplète (coupée en cours de route) après {attempts} tentatives : "
                f"vérifiez la connexion réseau (proxy) et réessayez plus tard.")
    if isinstance(exc, requests.Timeout):
        return f"Google Sheets ne répond pas (délai dépassé) après {attempts} tentatives : réessayez plus tard."
    if isinstance(exc, requests.ConnectionError):
        return f"impossible de joindre Google Sheets après {attempts} tentatives : vérifiez la connexion réseau."
    return f"erreur Google Sheets inattendue : {type(exc).__name__}"


def _service_disabled(error: dict) -> bool:
    details = error.get("details") or []
    if any(isinstance(d, dict) and d.get("reason") in ("SERVICE_DISABLED", "accessNotConfigured") for d in details):
        return True
    return "has not been used in project" in str(error.get("message", ""))


def _activation_link(error: dict) -> str:
    for detail in error.get("details") or []:
        for link in (detail.get("links") or []) if isinstance(detail, dict) else []:
            if "url" in link:
                return str(link["url"])
    match = re.search(r"https://console\.\S+", str(error.get("message", "")))
    return match.group(0) if match else "console Google Cloud, « API et services », Google Sheets API"
