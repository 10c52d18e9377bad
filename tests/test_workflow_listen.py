"""The Action listens before it talks and keeps the proof: courrier before run, digest after, and
the emails, letters and dossiers uploaded with a long retention (they die with the runner otherwise)."""

import yaml

from test_workflow import WORKFLOW, steps, workflow  # noqa: F401 (fixture)


def test_courrier_runs_before_run_and_the_digest_after(workflow):
    names = [s.get("run", "") for s in steps(workflow)]
    courrier = next(i for i, r in enumerate(names) if "relance courrier" in r)
    run = next(i for i, r in enumerate(names) if "relance run" in r)
    digest = next(i for i, r in enumerate(names) if "relance digest" in r)
    assert courrier < run < digest
    step = steps(workflow)[courrier]
    assert step["env"]["RELANCE_IMAP_PASSWORD"] == "${{ secrets.RELANCE_IMAP_PASSWORD }}"
    assert "dry_run" in step["if"]  # a rehearsal reads and moves nothing in the real mailbox


def test_the_proof_is_kept_as_an_artifact_for_90_days_even_when_the_run_failed(workflow):
    uploads = [s for s in steps(workflow) if s.get("uses", "").startswith("actions/upload-artifact@")]
    proof = next(s for s in uploads if "letters/" in s["with"]["path"])
    paths = proof["with"]["path"].split()
    assert {"outbox/*.eml", "letters/", "dossiers/"} <= set(paths)
    assert proof["if"] == "always()" and proof["with"]["retention-days"] >= 90
    assert yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))  # still valid YAML
