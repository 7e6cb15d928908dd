"""The offline engine's reply from an API field passage: a sentence naming the field, never the raw list line."""

from __future__ import annotations

import pytest

from vigil_mcp.services.answer.compose import compose
from vigil_mcp.services.answer.engine.base import Evidence


def field(text: str, section: str = "Objects > discount") -> Evidence:
    return Evidence(
        id="kb-1", kind="doc", title="Stripe API", section=section, text=text, score=0.5, form="field",
        source="openapi.json#/components/schemas/discount",
    )  # fmt: skip


@pytest.mark.parametrize(
    "notes",
    ["integer (unix-time), nullable", "string", "array of card (expandable), nullable"],
)
def test_a_field_reads_as_a_sentence_whatever_its_type_notes_hold(notes: str) -> None:
    text = f"- `end` ({notes}): If the coupon has a duration of `repeating`, the date that this discount will end."
    reply = compose(field(text))
    assert reply.startswith("`end` on the `discount` object: If the coupon has a duration of `repeating`")
    assert not reply.startswith("- ") and notes not in reply
    assert reply.endswith("Source: Stripe API › Objects › discount (openapi.json#/components/schemas/discount)")


def test_an_operation_parameter_names_its_operation() -> None:
    text = "- `status` (string): Only return payouts that have the given status: `pending`, `paid`, `failed`."
    reply = compose(field(text, "Operations > GET /v1/payouts"))
    assert reply.startswith("`GET /v1/payouts` takes `status`: Only return payouts")


def step(text: str) -> Evidence:
    return Evidence(
        id="kb-2", kind="runbook", title="SSPOperatorDown", section="Diagnosis", text=text, score=0.8,
        source="runbooks/SSPOperatorDown.md",
    )  # fmt: skip


def test_numbered_steps_keep_their_numbers_and_code_blocks_on_their_own_lines() -> None:
    text = (
        "1. Set the `NAMESPACE` environment variable:\n\n```bash\n$ export NAMESPACE=openshift-cnv\n```\n\n"
        "2. Check the status of the `ssp-operator` pods.\n\n```bash\n$ oc -n $NAMESPACE get pods\n```\n\n"
        "3. Obtain the details of the pods.\n\n```bash\n$ oc describe pods\n```\n\n4. Check the logs."
    )
    reply = compose(step(text)).split("\n\nSource:")[0]
    lines = reply.splitlines()
    assert lines[0] == "1. Set the `NAMESPACE` environment variable:"
    assert "2. Check the status of the `ssp-operator` pods." in lines
    assert not reply.rstrip().endswith(("3.", "4.")) and not any(line.strip() in ("2.", "3.", "4.") for line in lines)
    assert all(line.startswith("```") or "```" not in line for line in lines)  # every fence opens its own line
    assert reply.count("```") % 2 == 0


def test_a_runbooks_questions_are_checks_and_stay_but_a_docs_requests_go() -> None:
    # gitlab-com runbooks (MIT), docs/sidekiq/sidekiq-queue-not-being-processed.md, Resolution
    text = (
        "Are metrics being reported from the relevant queues, or is the data missing? Are these jobs scheduled "
        "anywhere (you'll need to check both chef and k8s configs)? See the large-sidekiq-queue runbook."
    )
    runbook = compose(step(text))
    assert runbook.startswith("Are metrics being reported from the relevant queues") and "chef and k8s" in runbook
    doc = Evidence(id="kb-3", kind="doc", title="Guide", section="Queues", text=text, score=0.5, source="guide.html")
    assert compose(doc).startswith("See the large-sidekiq-queue runbook.")


def test_the_citation_reads_as_one_path_without_the_piece_of_a_long_section() -> None:
    evidence = field("- `email` (string, nullable): The customer's email address.", "Objects > customer (part 2)")
    assert evidence.citation == "Stripe API › Objects › customer (openapi.json#/components/schemas/discount)"


def test_a_step_out_of_the_middle_of_a_procedure_is_no_reply_on_its_own() -> None:
    # Debian Reference, 4.6.4: step 4 of resetting a lost root password, without the rescue boot it needs
    later = Evidence(
        id="kb-4", kind="doc", title="Chapter 4", section="4.6.4. Securing the root password",
        text='4. Edit "`/etc/passwd`" in the root partition and make the second entry for the `root` account empty.',
        score=0.5, source="ch04.en.html",
    )  # fmt: skip
    assert compose(later) == ""
    first = Evidence(
        id="kb-5", kind="doc", title="Chapter 4", section="4.6.4. Securing the root password",
        text="1. Boot the system from a rescue disk (a live CD) and mount the root partition.",
        score=0.5, source="ch04.en.html",
    )  # fmt: skip
    assert compose(first).startswith("1. Boot the system from a rescue disk")
    assert compose(step("2. Check the status of the `ssp-operator` pods.")) == ""
